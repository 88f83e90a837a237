"""The client library across a hub restart: sockets reconnect and feeds catch up from the log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bidopen.client import HostClient, LotSpec, PublicViewer, SessionFeed, TenderDraft
from bidopen.clock import iso
from hubprocess import HubProcess

FEED_TIMEOUT_S = 60


async def _reschedule(host: HostClient, tender_id: str, minutes: int) -> None:
    deadline = datetime.now(UTC) + timedelta(minutes=minutes)
    await host.command(
        tender_id, "reschedule", {"deadline": iso(deadline), "reason": f"顺延至{minutes}分钟后"}
    )


async def _seen_kinds(feed: SessionFeed, count: int) -> list[int]:
    async with asyncio.timeout(FEED_TIMEOUT_S):
        while len(feed.seen("session_rescheduled")) < count:
            await feed.next()
    return [m.seq for m in feed.history]


async def test_feeds_catch_up_after_the_hub_restarts(hub_process: HubProcess) -> None:
    url = hub_process.base_url
    async with HostClient(url) as host:
        await host.login(hub_process.host_user, hub_process.host_password)
        tender = await host.create_tender(
            TenderDraft(
                title="重连测试 reconnection",
                lots=(LotSpec("1", "标段一"),),
                deadline=datetime.now(UTC) + timedelta(hours=1),
            )
        )
        host_feed = (await host.follow(tender.id)).feed
        viewer = PublicViewer(url, tender.id)
        viewer_feed = await viewer.open()
        await _reschedule(host, tender.id, 90)
        await _seen_kinds(viewer_feed, 1)

        await asyncio.to_thread(hub_process.stop)
        await asyncio.to_thread(hub_process.start)
        # Appended while the sockets may still be reconnecting: the log fills the gap. (The
        # restart runs in a thread: the clients' loop must see the old connections close.)
        await _reschedule(host, tender.id, 120)
        await _reschedule(host, tender.id, 150)

        for feed in (viewer_feed, host_feed):
            seqs = await _seen_kinds(feed, 3)
            assert feed.snapshot is not None
            # Every event once, in log order, none lost across the restart.
            assert seqs == list(range(feed.snapshot.seq + 1, feed.snapshot.seq + 1 + len(seqs)))
        deadlines = [m.data["deadline"] for m in viewer_feed.seen("session_rescheduled")]
        assert deadlines == sorted(deadlines)
        assert (await viewer.snapshot(tender.id)).view["deadline"] == deadlines[-1]
        await viewer.close()


async def test_the_client_library_takes_compressed_broadcasts(hub_process: HubProcess) -> None:
    """Scripts get a read-out compressed once by the hub, as browsers do."""
    async with HostClient(hub_process.base_url) as host:
        await host.login(hub_process.host_user, hub_process.host_password)
        tender = await host.create_tender(
            TenderDraft(
                title="压缩 compression",
                lots=(LotSpec("1", "标段一"),),
                deadline=datetime.now(UTC) + timedelta(hours=1),
            )
        )
        live = await host.follow(tender.id)
        # engine.io's client keeps aiohttp's websocket; the hub's answer to its offer:
        answer = live._sio.eio.ws._response.headers["Sec-WebSocket-Extensions"]
        assert answer.startswith("permessage-deflate")
        assert "server_no_context_takeover" in answer
        await _reschedule(host, tender.id, 90)
        assert await _seen_kinds(live.feed, 1)
        await live.close()
