"""The OpenAPI document is the router's: every /api/ route, every body its view declares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bidopen.app import create_app
from bidopen.config import load_config
from bidopen.http.declared import reads_of
from bidopen.http.openapi import OPENAPI_PATH, document_text, openapi
from hubprocess import HubProcess

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[web.Application]:
    url = f"sqlite+aiosqlite:///{tmp_path}/unused.db"
    yield create_app(load_config({}, data_dir=tmp_path / "data", database_url=url))


def _api_routes(app: web.Application) -> list[web.AbstractRoute]:
    return [
        route
        for route in app.router.routes()
        if route.method not in ("HEAD", "*")
        and str(route.resource.canonical if route.resource else "").startswith("/api/")
    ]


def test_the_checked_in_document_is_the_routers(app: web.Application) -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == document_text(app), (
        "regenerate with `python -m bidopen.describe docs`"
    )


def test_every_route_is_described_and_every_write_declares_its_body(
    app: web.Application,
) -> None:
    document = openapi(app)
    described = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    for route in _api_routes(app):
        declared = reads_of(route.handler)
        if route.method in ("POST", "PUT"):
            assert declared is not None, f"{route.method} {route.resource} declares no body"
        path = str(route.resource.canonical if route.resource else "")
        if declared is not None and declared.by is not None:
            parameter, bodies = declared.by
            wanted = {(route.method, path.replace("{" + parameter + "}", n)) for n in bodies}
        else:
            wanted = {(route.method, path)}
        assert wanted <= described, f"{route.method} {path} is missing from the OpenAPI"
    assert len(described) == sum(
        len(reads.by[1]) if (reads := reads_of(r.handler)) and reads.by else 1
        for r in _api_routes(app)
    ), "the OpenAPI lists an operation the router does not have"
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
