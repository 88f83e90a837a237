"""Shared fixtures: a real hub process on a free port, on SQLite or a fresh PostgreSQL database."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from hubprocess import (
    HOST_PASSWORD,
    HOST_USER,
    HubProcess,
    free_port,
    fresh_database,
    running_hub,
)

__all__ = ["HOST_PASSWORD", "HOST_USER", "HubProcess", "free_port"]

# Every answer the suite receives is checked against the published contract.
pytest_plugins = ["contract_watch"]


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# Each module's seconds in a recent run (scripts/module_seconds.py writes them); a module
# not listed yet counts as this many.
MODULE_SECONDS = json.loads((Path(__file__).parent / "module_seconds.json").read_text("utf-8"))
NEW_MODULE_SECONDS = 10.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slowest modules first: the workers (`--dist loadscope --no-loadscope-reorder`, see
    scripts/test.sh) take whole modules in this order, so none of the long ones starts last
    and runs alone while the others are idle. Within a module the order stays as it was."""
    root = Path(__file__).parent.parent

    def seconds(item: pytest.Item) -> float:
        module = item.path.relative_to(root).as_posix()
        return float(MODULE_SECONDS.get(module, NEW_MODULE_SECONDS))

    items.sort(key=seconds, reverse=True)


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
    overriding this fixture with `shared_hub` (as tests/hub/test_opening_flow.py does).
    """
    with running_hub(database_url, tmp_path, hub_env) as hub:
        yield hub


@pytest.fixture(scope="session")
def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the shared hub keeps its data (its SQLite database too) and its log."""
    return tmp_path_factory.mktemp("shared-hub")


@pytest.fixture(scope="session", params=DATABASES)
def shared_database_url(request: pytest.FixtureRequest, shared_folder: Path) -> Iterator[str]:
    with fresh_database(request.param, shared_folder / request.param) as url:
        yield url


@pytest.fixture(scope="session")
def shared_hub(shared_database_url: str, shared_folder: Path) -> Iterator[HubProcess]:
    """One hub (on each database) for every test that does not need its own, in each worker.

    A module opts in by overriding `hub_process` with it. Its tests must not depend on one
    another: each makes its own tenders and bidders, closes its sockets, and none stops the
    hub, changes its settings, counts what it holds, or reads the log of the whole hub.
    """
    kind = "sqlite" if shared_database_url.startswith("sqlite") else "postgres"
    # pytest may make the session fixture again (a new PostgreSQL database) when tests of the
    # two databases alternate: a new database needs a data folder of its own, or the hub
    # rightly refuses sealed files beside an empty database.
    folder = shared_folder / kind
    if kind == "postgres":
        folder = Path(tempfile.mkdtemp(prefix="postgres-", dir=shared_folder))
    with running_hub(shared_database_url, folder) as hub:
        yield hub


@pytest.fixture
async def hub_client(hub_process: HubProcess) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for the running hub (tests/hub/hubtesting.py builds on it)."""
    async with aiohttp.ClientSession(base_url=hub_process.base_url) as session:
        yield session
