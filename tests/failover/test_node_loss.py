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
from hubtesting import Bidder, HubApi, data_key_of, parse_iso, seal_bid, wait_for_phase

from bidopen.client import HostClient, PublicViewer

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


async def test_a_node_killed_in_the_decryption_window_loses_nothing(
    two_nodes: tuple[HubProcess, HubProcess],
) -> None:
    """kill -9 of the node every client follows: the clients (given both URLs) move to the
    other node and catch up by seq, decryption goes on there, and the window ends on time."""
    a, b = two_nodes
    async with aiohttp.ClientSession(base_url=b.base_url) as http:
        api = HubApi(http)
        await api.login_host(a.host_user, a.host_password)
        # Registered first: only sealing and uploading have to fit before the deadline.
        names = ("甲建设集团有限公司", "乙工程有限公司", "丙市政有限公司")
        registered = [await api.register(name) for name in names]
        tid = (await api.create_tender(deadline_in=2.5, decryption_seconds=20))["id"]
        bidders, sealed = [], {}
        for bidder in registered:
            sealed[bidder.id] = seal_bid(bidder, tid, "1", {"price": "1000000.00"})
            assert (await api.upload(bidder, tid, "1", sealed[bidder.id]))[0] == 201
            bidders.append(bidder)
        await wait_for_phase(api, tid, "opening")

        hubs = [a.base_url, b.base_url]  # a first: every client starts on the node that dies
        async with HostClient(hubs) as host, PublicViewer(hubs, tid) as viewer:
            await host.login(a.host_user, a.host_password)
            host_feed = (await host.follow(tid)).feed
            viewer_feed = await viewer.open()
            await host.start_decryption(tid)
            ends_at = parse_iso((await api.snapshot(tid, api.host_auth))["view"]["ends_at"])
            await _key(api, bidders[0], tid, sealed)

            a.kill()
            for bidder in bidders[1:]:
                await _key(api, bidder, tid, sealed)
            # The host's next request goes to b by itself: a refuses connections.
            assert (await host.snapshot(tid)).seq >= 1

            snap = await wait_for_phase(api, tid, "confirmation", within=60)
            log = await api.events(tid)
            ended = next(e for e in log if e["kind"] == "decryption_closed")
            for feed in (host_feed, viewer_feed):
                async with asyncio.timeout(20):
                    while feed.last_seq < log[-1]["seq"]:
                        await feed.next()
            assert host.base_url == b.base_url and viewer.base_url == b.base_url
    assert [m.seq for m in viewer_feed.history] == [
        e["seq"] for e in log if e["seq"] > viewer_feed.history[0].seq - 1
    ]
    assert [m.seq for m in host_feed.history] == [
        e["seq"] for e in log if e["seq"] > host_feed.history[0].seq - 1
    ]
    # The window ended on time on the surviving node (ticked `deadline_grace_ms` or less late).
    assert 0 <= (parse_iso(ended["data"]["at"]) - ends_at).total_seconds() < 3
    assert snap["view"]["phase"] == "confirmation"


async def _key(api: HubApi, bidder: Bidder, tid: str, sealed: dict[str, bytes]) -> None:
    await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
    key = data_key_of(bidder, sealed[bidder.id], tid, "1")
    await api.call(
        "POST",
        f"/api/tenders/{tid}/lots/1/data-key",
        headers=bidder.auth,
        json={"data_key": key},
        expect=200,
    )
