"""The access log, minus the requests that would tell who is bidding or how many."""

from __future__ import annotations

import logging
import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bidopen.log_redaction import redact_path

# Before the deadline even the count of these lines would leak how many bids there are.
_PRIVATE = re.compile(
    r"^/api/(tenders/[^/]+/(lots/[^/]+/bid|bids/mine)|sessions/[^/]+/sign-in|bidders/me/)"
)


def access_logger(destination: str | None) -> logging.Logger | None:
    """The logger the access log goes to: none by default, so the terminal keeps the banner,
    warnings and errors; a file (appended), or `-` for the terminal."""
    if destination is None:
        return None
    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.INFO)
    if destination != "-":
        # Only this file: the terminal's handler does not see these lines.
        logger.propagate = False
        handler = logging.FileHandler(destination, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
    return logger


class DiscreetAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if _PRIVATE.match(request.path):
            return
        self.logger.info(
            '%s "%s %s" %s %.3fs',
            request.remote,
            request.method,
            # Sign-ins name the bidder in the path (/api/bidders/<id>/challenge).
            redact_path(request.path),
            response.status,
            time,
        )
