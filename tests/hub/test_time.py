"""`GET /api/time`: the hub's own instant, to the microsecond, for anyone, never cached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bidopen.app import create_app
from bidopen.config import load_config

START = datetime(2026, 11, 27, 1, 2, 3, 123456, tzinfo=UTC)


@dataclass
class SteppedClock:
    """A clock the test moves by hand, so the answer can be checked to the microsecond."""

    at: datetime = START

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
async def client(
    tmp_path: Path, clock: SteppedClock
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    config = load_config({}, data_dir=tmp_path / "data")
    async with TestClient(TestServer(create_app(config, clock=clock))) as client:
        yield client


async def test_the_hub_says_its_own_time_to_the_microsecond(
    client: TestClient[web.Request, web.Application], clock: SteppedClock
) -> None:
    response = await client.get("/api/time")
    assert response.status == 200
    assert await response.json() == {"now": "2026-11-27T01:02:03.123456Z"}
    # Each request reads the clock again; a cache in between would stop the countdowns.
    assert response.headers["Cache-Control"] == "no-store"
    clock.at += timedelta(seconds=1, microseconds=1)
    response = await client.get("/api/time")
    assert await response.json() == {"now": "2026-11-27T01:02:04.123457Z"}


async def test_anyone_may_ask_with_or_without_a_token(
    client: TestClient[web.Request, web.Application],
) -> None:
    # The public big screen has no account; a host's console sends its token with everything.
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = await client.get("/api/time", headers=headers)
        assert response.status == 200, await response.text()


async def test_only_get(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.post("/api/time", json={"now": "2000-01-01T00:00:00Z"})
    assert response.status == 405
    assert (await response.json())["error"]["code"] == "method_not_allowed"
