"""`python -m bidopen.describe [DOCS]`: write the published descriptions from the code.

docs/openapi.json (REST, from the router), the table of successful answers in
docs/protocol.md (1.2.2), docs/asyncapi.json (the socket namespaces) and docs/schemas/
(every message's JSON Schema). Tests regenerate each and fail on drift.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from aiohttp import web

from bidopen.app import create_app
from bidopen.appkeys import REALTIME
from bidopen.config import load_config
from bidopen.http import openapi
from bidopen.realtime import asyncapi
from bidopen.wire import schemas


def offline_app(folder: Path) -> web.Application:
    """The hub's app as configured by default, never started: its router and namespaces."""
    url = f"sqlite+aiosqlite:///{folder}/unused.db"
    return create_app(load_config({}, data_dir=folder, database_url=url))


def write(docs: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = offline_app(Path(folder))
        (docs / "openapi.json").write_text(openapi.document_text(app), encoding="utf-8")
        protocol = docs / "protocol.md"
        text = openapi.with_answer_table(
            protocol.read_text(encoding="utf-8"), openapi.answer_table(app)
        )
        protocol.write_text(text, encoding="utf-8")
        text = asyncapi.document_text(app[REALTIME].sio)
        (docs / "asyncapi.json").write_text(text, encoding="utf-8")
    schemas.write(docs / "schemas")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
