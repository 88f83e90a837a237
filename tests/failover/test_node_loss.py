"""Two nodes sharing PostgreSQL, Redis and one data folder: whichever node created a session,
the other ticks its deadline on time when the first dies; a node's start removes only its own
half-received uploads, never another node's upload in progress."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from failover_kit import HubProcess, until
from hubtesting import HubApi, parse_iso, seal_bid

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_the_surviving_node_ticks_a_deadline_the_dead_one_scheduled(
    two_nodes: tuple[HubProcess, HubProcess],
) -> None:
    a, b = two_nodes
    async with aiohttp.ClientSession(base_url=a.base_url) as http:
        api = HubApi(http)
        await api.login_host(a.host_user, a.host_password)
        tender = await api.create_tender(deadline_in=3)
    a.kill()  # kill -9: no shutdown code runs on a
    deadline = parse_iso(tender["deadline"])
    async with aiohttp.ClientSession(base_url=b.base_url) as http:
        api_b = HubApi(http)

        async def ticked() -> bool:
            return len(await api_b.events(tender["id"])) > 1

        await until(ticked, 20, "node b's tick")
        events = await api_b.events(tender["id"])
    at = parse_iso(events[1]["data"]["at"])
    # Ticked `deadline_grace_ms` (1.5 s) after the deadline, not at a 30 s rescan.
    assert (at - deadline).total_seconds() < 4, (deadline, at)


async def _slowly(sealed: bytes, pieces: int, pause: float) -> AsyncIterator[bytes]:
    size = -(-len(sealed) // pieces)
    for start in range(0, len(sealed), size):
        yield sealed[start : start + size]
        await asyncio.sleep(pause)


async def test_a_node_starting_keeps_another_nodes_upload_in_progress(
    two_nodes: tuple[HubProcess, HubProcess], tmp_path: Path
) -> None:
    a, b = two_nodes
    async with aiohttp.ClientSession(base_url=a.base_url) as http:
        api = HubApi(http)
        await api.login_host(a.host_user, a.host_password)
        tid = (await api.create_tender(deadline_in=600))["id"]
        bidder = await api.register("甲建设集团有限公司")
        sealed = seal_bid(bidder, tid, "1", {"price": "1000000.00"}, document=b"x" * 400_000)
        upload = asyncio.create_task(
            api.upload(bidder, tid, "1", _slowly(sealed, 8, 0.5))  # type: ignore[arg-type]
        )
        incoming = tmp_path / "data" / "bids" / ".incoming"
        await until(lambda: any(incoming.glob("*/*.part")), 5, "a's upload to begin")
        b.stop()
        b.start()  # b's start-up clean-up runs while a is receiving
        status, body = await upload
    assert status == 201, body
    assert "removed" not in b.log_text()
