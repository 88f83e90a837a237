"""The AsyncAPI document is the registered namespaces': their handlers, auth and emits."""

from __future__ import annotations

import json
from pathlib import Path

import socketio

from bidopen.app import create_app
from bidopen.appkeys import REALTIME
from bidopen.config import load_config
from bidopen.http.declared import reads_of
from bidopen.realtime.asyncapi import asyncapi, document_text

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


def _server(tmp_path: Path) -> socketio.AsyncServer:
    url = f"sqlite+aiosqlite:///{tmp_path}/unused.db"
    app = create_app(load_config({}, data_dir=tmp_path / "data", database_url=url))
    server: socketio.AsyncServer = app[REALTIME].sio
    return server


def test_the_checked_in_document_is_the_namespaces(tmp_path: Path) -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == document_text(_server(tmp_path)), (
        "regenerate with `python -m bidopen.describe docs`"
    )


def test_every_handler_is_declared_and_described(tmp_path: Path) -> None:
    server = _server(tmp_path)
    document = asyncapi(server)
    assert {c["address"] for c in document["channels"].values()} == set(server.namespace_handlers)
    for address, handler in server.namespace_handlers.items():
        channel = document["channels"][address.strip("/")]
        assert reads_of(handler.on_connect) is not None, f"{address}: auth undeclared"
        handlers = [a for a in dir(handler) if a.startswith("on_")]
        for attribute in handlers:
            if attribute in ("on_connect", "on_disconnect"):
                continue
            assert reads_of(getattr(handler, attribute)) is not None, f"{address} {attribute}"
            event = attribute.removeprefix("on_")
            assert (event in channel["messages"]) != handler.read_only, f"{address} {event}"
        for event in handler.sends:
            assert event in channel["messages"]
    assert json.loads(DOCUMENT.read_text(encoding="utf-8"))["asyncapi"] == "3.0.0"
