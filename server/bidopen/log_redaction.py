"""Secrecy in logs: no line the hub prints names a bidder, whatever its source or level.

Before a tender's deadline nobody may learn who bid, and a log line is read by whoever
runs or copies the server. So bidder ids are taken out of every formatted record (the
message, the traceback, the stack), the access log writes paths with the bidder's segment
replaced, database drivers never put statement parameters into error messages (see
bidopen.store.db), and uncaught exceptions of threads and of the process go through the
same formatter. Always, not only before a deadline: the log cannot know which tender an
id belongs to, and a line written after one deadline is before another's.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from types import TracebackType

from bidopen.service.accounts import BIDDER_ID

HIDDEN = "[bidder]"
# A path segment after /bidders/ or /bids/ names a bidder (or is a guess at one), except
# the caller's own `me` and `mine`, which name nobody.
_BIDDER_SEGMENT = re.compile(r"(/(?:bidders|bids)/)(?!(?:me|mine)(?:/|$))[^/]+")
# PostgreSQL repeats the values of a violated key: `Key (key_id)=(…) already exists`.
_KEY_VALUES = re.compile(r"(Key \([^)]*\)=\().*?(\) )")


def redact(text: str) -> str:
    """`text` without bidder ids and without the key values a database error repeats."""
    return _KEY_VALUES.sub(r"\1…\2", BIDDER_ID.sub(HIDDEN, text))


def redact_path(path: str) -> str:
    return redact(_BIDDER_SEGMENT.sub(rf"\g<1>{HIDDEN}", path))


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def install(level: str) -> None:
    """Route every record, warning and uncaught exception through the redacting formatter."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_thread_exception


def _log_uncaught(
    kind: type[BaseException], value: BaseException, trace: TracebackType | None
) -> None:
    logging.getLogger("bidopen").critical("uncaught exception", exc_info=(kind, value, trace))


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    assert args.exc_value is not None
    logging.getLogger("bidopen").error(
        "uncaught exception in a thread",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
