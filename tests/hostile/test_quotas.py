"""One bidder cannot fill the disk: quotas per bidder and tender, and a free-space reserve."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hubtesting import HubApi, seal_bid

from hubprocess import HubProcess

MAX_BID = 32 * 1024
QUOTA_BYTES = 70 * 1024


@pytest.fixture
def hub_env() -> dict[str, str]:
    return {
        "BIDOPEN_MAX_BID_BYTES": str(MAX_BID),
        "BIDOPEN_BIDDER_QUOTA_BYTES": str(QUOTA_BYTES),
        "BIDOPEN_BIDDER_QUOTA_REPLACEMENTS": "2",
        "BIDOPEN_STORAGE_RESERVE_BYTES": "0",
    }


def sealed_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "bids").rglob("*.bid"))


def refused(status: int, body: Any, expected: int, code: str) -> None:
    assert status == expected, body
    assert body["error"]["code"] == code
    assert body["error"]["message"] and body["error"]["message_zh"]


async def test_replacements_and_bytes_are_capped_per_bidder_and_tender(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tender = (await api.create_tender(lots=("1", "2")))["id"]
    other_tender = (await api.create_tender(lots=("1",)))["id"]
    greedy, honest = await api.register("甲公司"), await api.register("乙公司")

    def bid(bidder: Any, tid: str, lot: str, size: int = 100) -> bytes:
        return seal_bid(bidder, tid, lot, {"price": "1.00"}, secrets.token_bytes(size))

    # The first file and two replacements in lot 1; the third replacement is refused.
    for _ in range(3):
        status, body = await api.upload(greedy, tender, "1", bid(greedy, tender, "1"))
        assert status == 201, body
    refused(
        *await api.upload(greedy, tender, "1", bid(greedy, tender, "1")),
        409,
        "quota_replacements_exceeded",
    )
    # Bytes are counted over the tender, kept files included; a first file in another lot
    # is no replacement.
    big = await api.register("丙公司")
    for lot in ("1", "2"):
        status, body = await api.upload(big, tender, lot, bid(big, tender, lot, 30_000))
        assert status == 201, body
    refused(
        *await api.upload(big, tender, "2", bid(big, tender, "2", 30_000)),
        413,
        "quota_bytes_exceeded",
    )
    # Nothing kept was deleted, and the refused bidders' current bids stand.
    assert len(sealed_files(hub_process.data_dir)) == 5
    _, mine = await api.call("GET", f"/api/tenders/{tender}/bids/mine", headers=greedy.auth)
    assert [b["status"] for b in mine["bids"]] == ["replaced", "replaced", "current"]
    # Quotas are per bidder and per tender: the others are untouched.
    assert (await api.upload(honest, tender, "1", bid(honest, tender, "1")))[0] == 201
    assert (await api.upload(greedy, other_tender, "1", bid(greedy, other_tender, "1")))[0] == 201
    # The operator sees each refusal, and no line names the bidder or the tender.
    log = hub_process.log_text()
    assert "bidder_quota_replacements" in log and "bidder_quota_bytes" in log
    refusals = [line for line in log.splitlines() if "refused an upload" in line]
    assert len(refusals) == 2
    for line in refusals:
        assert tender not in line
        assert not any(b.id in line or b.name in line for b in (greedy, big))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("hub_env", [{"BIDOPEN_STORAGE_RESERVE_BYTES": str(2**60)}])
async def test_uploads_are_refused_with_507_below_the_reserve(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tender = (await api.create_tender())["id"]
    bidder = await api.register("甲公司")
    sealed = seal_bid(bidder, tender, "1", {"price": "1.00"})
    refused(*await api.upload(bidder, tender, "1", sealed), 507, "storage_full")
    assert sealed_files(hub_process.data_dir) == []
    [line] = [x for x in hub_process.log_text().splitlines() if "refused an upload" in x]
    assert "storage_reserve_bytes" in line and bidder.id not in line and tender not in line


def small_disk_hub(tmp_path: Path, database_url: str, hub_env: dict[str, str]) -> HubProcess:
    """A hub whose data folder is a private 6 MiB tmpfs (its own mount namespace)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    mount = 'mount -t tmpfs -o size=6m tmpfs "$0" && exec "$@"'
    return HubProcess(
        data_dir,
        database_url,
        tmp_path / "hub.log",
        extra_env=hub_env,
        command_prefix=["unshare", "-m", "sh", "-c", mount, str(data_dir)],
    )


needs_unshare = pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")


@needs_unshare
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "hub_env",
    [
        {
            "BIDOPEN_STORAGE_RESERVE_BYTES": str(1024 * 1024),
            "BIDOPEN_BIDDER_QUOTA_BYTES": str(64 * 1024 * 1024),
            "BIDOPEN_MAX_BID_BYTES": str(1024 * 1024),
        }
    ],
)
def test_a_small_disk_refuses_with_507_before_it_is_full(
    database_url: str, tmp_path: Path, hub_env: dict[str, str]
) -> None:
    """Uploads stop with 507 while the reserve is still free, and the hub keeps working."""
    import asyncio

    hub = small_disk_hub(tmp_path, database_url, hub_env)
    hub.start()
    try:
        asyncio.run(_fill(hub))
    finally:
        hub.stop()
    log = hub.log_text()
    assert "Traceback" not in log and "No space left" not in log


@needs_unshare
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "hub_env",
    [
        {
            "BIDOPEN_STORAGE_RESERVE_BYTES": "0",
            "BIDOPEN_BIDDER_QUOTA_BYTES": str(64 * 1024 * 1024),
            "BIDOPEN_MAX_BID_BYTES": str(16 * 1024 * 1024),
        }
    ],
)
def test_a_full_disk_mid_upload_is_507_and_leaves_nothing(
    database_url: str, tmp_path: Path, hub_env: dict[str, str]
) -> None:
    """No reserve: the disk fills under a chunked upload; 507, not 500, and the space is back."""
    import asyncio

    hub = small_disk_hub(tmp_path, database_url, hub_env)
    hub.start()
    try:
        asyncio.run(_overflow(hub))
    finally:
        hub.stop()
    assert "Traceback" not in hub.log_text()


async def _overflow(hub: HubProcess) -> None:
    async with aiohttp.ClientSession(base_url=hub.base_url) as http:
        api = HubApi(http)
        await api.login_host(hub.host_user, hub.host_password)
        tender = (await api.create_tender(lots=("1",)))["id"]
        bidder = await api.register("甲公司")
        big = seal_bid(bidder, tender, "1", {"price": "1.00"}, secrets.token_bytes(8_000_000))

        async def chunked() -> AsyncIterator[bytes]:
            # No Content-Length: nothing tells the hub the size before the disk is full.
            for start in range(0, len(big), 256 * 1024):
                yield big[start : start + 256 * 1024]

        status, body = await api.call(
            "PUT", f"/api/tenders/{tender}/lots/1/bid", headers=bidder.auth, data=chunked()
        )
        refused(status, body, 507, "storage_full")
        assert sealed_files(hub.data_dir) == []
        small = seal_bid(bidder, tender, "1", {"price": "1.00"})
        status, body = await api.upload(bidder, tender, "1", small)
        assert status == 201, body


async def _fill(hub: HubProcess) -> None:
    async with aiohttp.ClientSession(base_url=hub.base_url) as http:
        api = HubApi(http)
        await api.login_host(hub.host_user, hub.host_password)
        tender = (await api.create_tender(lots=("1",)))["id"]
        statuses: list[int] = []
        for n in range(12):
            bidder = await api.register(f"公司{n}")
            sealed = seal_bid(bidder, tender, "1", {"price": "1.00"}, secrets.token_bytes(600_000))
            status, body = await api.upload(bidder, tender, "1", sealed)
            statuses.append(status)
            assert status in (201, 507), body
        assert 201 in statuses and statuses[-1] == 507
        assert statuses == sorted(statuses), statuses
        # The database still has its room: the host can still create a tender.
        await api.create_tender(lots=("1",))
