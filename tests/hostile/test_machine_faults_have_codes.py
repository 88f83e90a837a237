"""Disk full, descriptors exhausted, database down: a documented code each, never a bare 500,
and one line in the operator's log saying what happened."""

from __future__ import annotations

import asyncio
import errno
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from deadline_kit import client_from, error_code, hostile_hub
from hubtesting import seal_bid

from bidopen.errors import HubError
from bidopen.faults import as_fault
from hubprocess import (
    PG_ADMIN_DSN,
    HubProcess,
    _create_pg_database,
    _drop_pg_database,
    pg_url,
)


def _small_disk(bids: Path, megabytes: int) -> list[str]:
    """A command prefix: the hub runs in a mount namespace with a tmpfs over its bids folder."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    mount = f'mount -t tmpfs -o size={megabytes}m tmpfs "$0" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", mount, str(bids)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_full_disk_refuses_the_upload_with_storage_full(
    tmp_path: Path, database_url: str
) -> None:
    bids = tmp_path / "data" / "bids"
    bids.mkdir(parents=True)
    hub = hostile_hub(tmp_path, database_url, command_prefix=_small_disk(bids, 2))
    hub.start()
    try:
        async with client_from(hub.base_url) as api:
            await api.login_host(hub.host_user, hub.host_password)
            tender = await api.create_tender(deadline_in=600)
            bidder = await api.register("磁盘已满公司")
            items = {"price": "1.00", "duration_days": "1"}
            too_big = seal_bid(bidder, tender["id"], "1", items, b"x" * 3_000_000)
            status, body = await api.upload(bidder, tender["id"], "1", too_big)
            assert (status, error_code(body)) == (507, "storage_full"), body
            # Nothing of it stays; a bid that fits is taken next.
            small = seal_bid(bidder, tender["id"], "1", items, b"y" * 100_000)
            await api.call(
                "PUT",
                f"/api/tenders/{tender['id']}/lots/1/bid",
                headers=bidder.auth,
                data=small,
                expect=201,
            )
        log = hub.log_text()
        lines = [line for line in log.splitlines() if "disk is full" in line or "disk full" in line]
        assert lines and all(bidder.id not in line for line in lines), log[-2000:]
        assert "Traceback" not in log
    finally:
        hub.stop()


@pytest.fixture
async def pg_hub(tmp_path: Path) -> AsyncIterator[HubProcess]:
    """A hub on a PostgreSQL database of its own (the folder's fixtures are SQLite only)."""
    name = await _create_pg_database()
    hub = hostile_hub(tmp_path, pg_url(name))
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
        await _drop_pg_database(name)


@pytest.mark.postgres
async def test_a_database_that_stops_answering_gives_database_unavailable(
    pg_hub: HubProcess,
) -> None:
    hub_process = pg_hub
    name = hub_process.database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        async with client_from(hub_process.base_url) as api:
            await api.call("GET", "/api/tenders", expect=200)
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            status, body = await api.call("GET", "/api/tenders")
            if status == 200:  # a pooled connection may have survived one round
                await asyncio.sleep(0.2)
                status, body = await api.call("GET", "/api/tenders")
            assert (status, error_code(body)) == (503, "database_unavailable"), body
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            await api.call("GET", "/api/tenders", expect=200)
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        await admin.close()
    assert "database error during a GET request" in hub_process.log_text()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/bids/T1/x.part"), "storage_full"),
        (OSError(errno.EMFILE, "Too many open files"), "descriptors_exhausted"),
        (OSError(errno.ENFILE, "Too many open files in system"), "descriptors_exhausted"),
    ],
)
def test_each_fault_of_the_machine_has_its_code(
    error: OSError, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A wrapper (aiosqlite, SQLAlchemy) keeps the OSError as its cause.
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = error
    fault = as_fault(wrapped, "a test")
    assert isinstance(fault, HubError) and fault.code == code
    assert "/data/bids" not in caplog.text and errno.errorcode[error.errno or 0] in caplog.text
    assert as_fault(RuntimeError("a bug"), "a test") is None
