"""Redis stopped for 10 s while a session changes: nothing is lost, both nodes' viewers end with
the same events in the same order, `/readyz` and the metrics say fan-out is degraded while it
is down, and each node brings its rooms up to the log's head as soon as Redis is back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import socketio
from failover_kit import HubProcess, RedisServer, get_json, metric, until
from hubtesting import HubApi, data_key_of, iso, seal_bid, wait_for_phase

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

OUTAGE_SECONDS = 10
# The node retries its subscription every second (RESUBSCRIBE_SECONDS) and catches up at once.
CATCH_UP_BOUND = 4.0


async def _viewer(base_url: str, session_id: str, received: list[dict[str, Any]]) -> Any:
    viewer = socketio.AsyncClient(reconnection=False)
    viewer.on("event", received.append, namespace="/public")
    await viewer.connect(
        base_url, namespaces=["/public"], auth={"session_id": session_id}, transports=["websocket"]
    )
    return viewer


async def test_redis_outage_loses_nothing_and_recovers_by_itself(
    two_nodes: tuple[HubProcess, HubProcess], own_redis: RedisServer
) -> None:
    a, b = two_nodes
    async with aiohttp.ClientSession(base_url=a.base_url) as http:
        api = HubApi(http)
        await api.login_host(a.host_user, a.host_password)
        tid = (await api.create_tender(deadline_in=3600))["id"]
        on_a: list[dict[str, Any]] = []
        on_b: list[dict[str, Any]] = []
        viewers = [await _viewer(a.base_url, tid, on_a), await _viewer(b.base_url, tid, on_b)]
        await asyncio.sleep(0.5)

        async def postpone(hours: int) -> None:
            deadline = datetime.now(UTC) + timedelta(hours=hours)
            await api.host(tid, "reschedule", {"deadline": iso(deadline), "reason": "补遗发布"})

        await postpone(2)
        await until(lambda: len(on_b) == 1, 5, "the first postponement on node b")

        own_redis.stop()
        await until(lambda: get_json(f"{b.base_url}/readyz")[0] == 503, 5, "b not ready")
        _, body = get_json(f"{b.base_url}/readyz")
        assert body["checks"]["redis"]["ok"] is False
        assert (
            "degraded" in body["checks"]["redis"]["detail"]
            or "Redis" in body["checks"]["redis"]["detail"]
        )
        assert body["checks"]["database"]["ok"] is True
        # Commits go on while Redis is down: the log is the truth, Redis only the doorbell.
        for hours in (3, 4):
            await postpone(hours)
        await until(lambda: len(on_a) == 3, 5, "node a's own viewer")
        assert metric(a.base_url, "bidopen_fanout_degraded") == 1
        await asyncio.sleep(OUTAGE_SECONDS - 3)
        assert len(on_b) == 1, "node b cannot have heard of the commits on a"

        own_redis.start()  # the same port
        back = asyncio.get_running_loop().time()
        await until(lambda: len(on_b) == 3, CATCH_UP_BOUND + 2, "node b's catch-up")
        caught_up_in = asyncio.get_running_loop().time() - back
        await until(lambda: get_json(f"{b.base_url}/readyz")[0] == 200, 5, "b ready again")
        assert metric(b.base_url, "bidopen_fanout_degraded") == 0
        assert metric(b.base_url, "bidopen_room_catch_ups_total") >= 2

        # After the outage the doorbell rings as before, without a duplicate.
        await postpone(5)
        await until(lambda: len(on_a) == 4 and len(on_b) == 4, 5, "the next commit")
        await asyncio.sleep(0.5)
        for viewer in viewers:
            await viewer.disconnect()
    assert [m["seq"] for m in on_a] == [m["seq"] for m in on_b] == [2, 3, 4, 5]
    assert on_a == on_b
    assert caught_up_in < CATCH_UP_BOUND
    assert "fan-out degraded" in b.log_text()
    assert "caught up this node's rooms" in b.log_text()


async def test_redis_down_during_the_read_out(
    two_nodes: tuple[HubProcess, HubProcess], own_redis: RedisServer
) -> None:
    """The read-out committed on node a while Redis is down reaches node b's viewers as soon
    as Redis is back, with every event once and in the order of a's viewers."""
    a, b = two_nodes
    async with aiohttp.ClientSession(base_url=a.base_url) as http:
        api = HubApi(http)
        await api.login_host(a.host_user, a.host_password)
        prices = {
            "甲建设集团有限公司": "101.00",
            "乙工程有限公司": "102.00",
            "丙市政有限公司": "103.00",
        }
        # Registered first: only sealing and uploading have to fit before the deadline.
        registered = [(await api.register(name), price) for name, price in prices.items()]
        tid = (await api.create_tender(deadline_in=2.5))["id"]
        bidders, sealed = [], {}
        for bidder, price in registered:
            sealed[bidder.id] = seal_bid(bidder, tid, "1", {"price": price})
            assert (await api.upload(bidder, tid, "1", sealed[bidder.id]))[0] == 201
            bidders.append(bidder)
        await wait_for_phase(api, tid, "opening")
        await api.host(tid, "start_decryption")
        for bidder in bidders:
            await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
            key = data_key_of(bidder, sealed[bidder.id], tid, "1")
            await api.call(
                "POST",
                f"/api/tenders/{tid}/lots/1/data-key",
                headers=bidder.auth,
                json={"data_key": key},
                expect=200,
            )
        on_a: list[dict[str, Any]] = []
        on_b: list[dict[str, Any]] = []
        viewers = [await _viewer(a.base_url, tid, on_a), await _viewer(b.base_url, tid, on_b)]
        await asyncio.sleep(0.5)

        own_redis.stop()
        await until(lambda: metric(a.base_url, "bidopen_fanout_degraded") == 1, 5, "a degraded")
        await api.host(tid, "close_decryption")  # the read-out, committed on a
        await until(lambda: any(m["kind"] == "read_out" for m in on_a), 5, "a's read-out")
        await asyncio.sleep(OUTAGE_SECONDS - 2)
        assert not any(m["kind"] == "read_out" for m in on_b)
        own_redis.start()
        await until(
            lambda: any(m["kind"] == "read_out" for m in on_b), CATCH_UP_BOUND, "b's read-out"
        )
        await asyncio.sleep(1)
        for viewer in viewers:
            await viewer.disconnect()
    assert on_a == on_b
    seqs = [m["seq"] for m in on_b]
    assert seqs == sorted(set(seqs))
