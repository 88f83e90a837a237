"""Shared fixtures: a real hub process on a free port, on SQLite or a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import contextlib
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


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A SQLite file in `folder`, or a new PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'data' / 'bidopen.db'}"
        return
    name = asyncio.run(_create_pg_database())
    try:
        yield pg_url(name)
    finally:
        asyncio.run(_drop_pg_database(name))


@contextlib.contextmanager
def running_hub(database_url: str, folder: Path, env: dict[str, str]) -> Iterator[HubProcess]:
    data_dir = folder / "data"
    data_dir.mkdir(exist_ok=True)
    hub = HubProcess(data_dir, database_url, folder / "hub.log", extra_env=env)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One fresh database per test: a SQLite file, or a new PostgreSQL database dropped after."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def hub_env() -> dict[str, str]:
    """Extra `BIDOPEN_*` settings of the hub under test; a test module overrides this fixture."""
    return {}


@pytest.fixture
def hub_process(database_url: str, tmp_path: Path, hub_env: dict[str, str]) -> Iterator[HubProcess]:
    """A hub of the test's own: for tests that stop it, read its whole log or count its rows.

    A module whose tests each make their own tenders and bidders shares one instead, by
    overriding this fixture with `shared_hub` (see tests/README or tests/hub/test_secrecy.py).
    """
    with running_hub(database_url, tmp_path, hub_env) as hub:
        yield hub


@pytest.fixture(scope="module", params=DATABASES)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp("module-db")) as url:
        yield url


@pytest.fixture(scope="module")
def shared_hub(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    """One hub for all tests of a module (on each database), started at the first that asks.

    Its tests must not depend on each other: each makes its own tenders and bidders, and
    none stops the hub, counts what the hub holds, or reads another test's log lines.
    """
    folder = tmp_path_factory.mktemp("shared-hub")
    with running_hub(module_database_url, folder, {}) as hub:
        yield hub


@pytest.fixture
async def hub_client(hub_process: HubProcess) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for the running hub (tests/hub/hubtesting.py builds on it)."""
    async with aiohttp.ClientSession(base_url=hub_process.base_url) as session:
        yield session
