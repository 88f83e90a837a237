"""The OpenAPI document is the router's: every route, every body and answer its view declares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import aiohttp
import pytest
from aiohttp import web

from bidopen.app import create_app
from bidopen.config import load_config
from bidopen.http.declared import JSON, missing_answer
from bidopen.http.openapi import (
    OPENAPI_PATH,
    answer_table,
    described,
    document_text,
    openapi,
    with_answer_table,
)
from bidopen.http.routetable import declared_routes
from bidopen.video.state import VideoState
from bidopen.wire.answers import VideoStateName
from bidopen.wire.messages import Message
from hubprocess import HubProcess

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
PROTOCOL = DOCUMENT.with_name("protocol.md")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[web.Application]:
    url = f"sqlite+aiosqlite:///{tmp_path}/unused.db"
    yield create_app(load_config({}, data_dir=tmp_path / "data", database_url=url))


def test_the_checked_in_document_is_the_routers(app: web.Application) -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == document_text(app), (
        "regenerate with `python -m bidopen.describe docs`"
    )


def test_every_route_is_described_and_every_write_declares_its_body(
    app: web.Application,
) -> None:
    document = openapi(app)
    listed = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    wanted: set[tuple[str, str]] = set()
    for route in declared_routes(app):
        if route.method in ("POST", "PUT"):
            assert route.reads is not None, f"{route.method} {route.path} declares no body"
        if not described(route):
            continue
        if route.reads is not None and route.reads.by is not None:
            parameter, bodies = route.reads.by
            wanted |= {(route.method, route.path.replace("{" + parameter + "}", n)) for n in bodies}
        else:
            wanted.add((route.method, route.path))
    assert wanted - listed == set(), "missing from the OpenAPI"
    assert listed - wanted == set(), "the OpenAPI lists an operation the router does not have"
    assert ("GET", "/log/checkpoint") in listed and ("GET", "/") not in listed
    for path, ops in document["paths"].items():
        for method, operation in ops.items():
            if method in ("post", "put"):
                assert "requestBody" in operation, f"{method} {path}"


async def test_the_hub_serves_the_document(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    async with hub_client.get(OPENAPI_PATH) as response:
        assert response.status == 200
        served = await response.json()
    assert served == json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert served["openapi"] == "3.1.0"


def test_every_route_declares_its_successful_answer(app: web.Application) -> None:
    routes = declared_routes(app)
    assert len(routes) > 40, "the hub's routes were not found"
    for route in routes:
        assert route.answers, missing_answer(route.method, route.path)
        for answer in route.answers:
            # Successes and redirects; only /readyz declares a failure (503, not ready).
            assert 200 <= answer.status < 400 or route.path == "/readyz", route.path
            if answer.media_type == JSON:
                # Answers refuse members they do not declare, so the watch sees extra ones.
                assert answer.body is not None and issubclass(answer.body, Message), route.path


def test_the_document_describes_each_answer(app: web.Application) -> None:
    document = openapi(app)
    for route in declared_routes(app):
        if not described(route):
            assert route.path not in document["paths"]
            continue
        operation = document["paths"].get(route.path, {}).get(route.method.lower())
        if route.reads is not None and route.reads.by is not None:
            continue  # one path per command, each checked by the test above
        assert operation is not None, f"{route.method} {route.path}"
        for answer in route.answers:
            described_answer = operation["responses"][str(answer.status)]
            assert list(described_answer["content"]) == [answer.media_type]
    snapshot = document["paths"]["/api/sessions/{session_id}"]["get"]["responses"]["200"]
    schema = snapshot["content"][JSON]["schema"]
    assert schema == {"$ref": "#/components/schemas/SessionSnapshot"}
    assert "SessionSnapshot" in document["components"]["schemas"]


def test_the_video_states_answered_are_the_relays() -> None:
    assert set(get_args(get_args(VideoStateName)[0])) == {state.value for state in VideoState}


def test_the_protocols_table_of_answers_is_the_routers(app: web.Application) -> None:
    protocol = PROTOCOL.read_text(encoding="utf-8")
    assert with_answer_table(protocol, answer_table(app)) == protocol, (
        "regenerate with `python -m bidopen.describe docs`"
    )
    assert "| `GET /api/tenders/{tender_id}` | 200 | [`Tender`](schemas/answers/Tender.json) |" in (
        protocol
    )
