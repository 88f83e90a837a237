"""Shared fixtures: a real hub process on a free port, on SQLite or a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from hubprocess import (
    HOST_PASSWORD,
    HOST_USER,
    HubProcess,
    _create_pg_database,
    _drop_pg_database,
    free_port,
    pg_url,
)

__all__ = ["HOST_PASSWORD", "HOST_USER", "HubProcess", "free_port"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One fresh database per test: a SQLite file, or a new PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bidopen.db'}"
        return
    name = asyncio.run(_create_pg_database())
    try:
        yield pg_url(name)
    finally:
        asyncio.run(_drop_pg_database(name))


@pytest.fixture
def hub_env() -> dict[str, str]:
    """Extra `BIDOPEN_*` settings of the hub under test; a test module overrides this fixture."""
    return {}


@pytest.fixture
def hub_process(database_url: str, tmp_path: Path, hub_env: dict[str, str]) -> Iterator[HubProcess]:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    hub = HubProcess(data_dir, database_url, tmp_path / "hub.log", extra_env=hub_env)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
async def hub_client(hub_process: HubProcess) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for the running hub (tests/hub/hubtesting.py builds on it)."""
    async with aiohttp.ClientSession(base_url=hub_process.base_url) as session:
        yield session
