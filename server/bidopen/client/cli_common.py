"""What the `bidder` and `host` commands share: hub address, secrets, output, error exits."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bidopen.client.errors import ClientError
from bidseal import InvalidSealedBid, KeyFileError, read_passphrase_file

URL_ENV = "BIDOPEN_URL"
DEFAULT_URL = "http://127.0.0.1:8080"

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


class CommandError(Exception):
    """A refusal of the command line itself (missing file, bad option): exit status 2."""


def add_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get(URL_ENV, DEFAULT_URL),
        help=(
            f"the hub, or its nodes' URLs separated by commas, tried in turn when one does "
            f"not answer (default ${URL_ENV} or {DEFAULT_URL})"
        ),
    )


def secret(file: Path | None, env: str, prompt: str) -> str:
    """A passphrase or password: from a file, else an environment variable, else the terminal."""
    if file is not None:
        try:
            return read_passphrase_file(file)
        except KeyFileError as error:
            raise CommandError(str(error)) from None
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise CommandError(f"no secret given: use a file option or ${env}")
    value = getpass.getpass(prompt)
    if not value:
        raise CommandError("an empty secret is not accepted")
    return value


def emit(value: Any) -> None:
    """The command's result on stdout, as JSON (Chinese kept readable)."""
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def tell(text: str) -> None:
    """Progress for the person at the terminal, on stderr so stdout stays machine-readable."""
    print(text, file=sys.stderr, flush=True)


def guarded(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """Run an async handler; every expected failure becomes one line on stderr."""

    def run(args: argparse.Namespace) -> int:
        # python-socketio logs harmless noise when a socket closes mid-write.
        logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
        try:
            return asyncio.run(handler(args))
        except ClientError as error:
            tell(f"错误 error: {error.code}: {error.message_zh} / {error.message}")
            return 1
        except InvalidSealedBid as error:
            # The format's one opaque message for every failure to open (format section 3).
            tell(f"错误 error: {error}")
            return 1
        except (CommandError, KeyFileError, ValueError) as error:
            tell(f"错误 error: {error}")
            return 2
        except OSError as error:
            tell(f"错误 error: {error.filename or ''}: {error.strerror or error}")
            return 2

    return run
