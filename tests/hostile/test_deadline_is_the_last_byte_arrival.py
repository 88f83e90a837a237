"""A bid counts by the arrival of its last byte, against the deadline in force at that moment.

Neither a login flood (scrypt) nor a postponement while the bytes are on their way may turn
a bid that arrived in time into a refused one.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from deadline_kit import received_at, via_proxy
from hubtesting import HubApi, iso, parse_iso, seal_bid, slow_body

from hubprocess import HubProcess

TRUSTED_LOCAL_PROXY = {"BIDOPEN_TRUSTED_PROXIES": "127.0.0.1/32"}


async def test_an_upload_in_flight_when_the_host_postpones_counts_against_the_new_deadline(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tender = await api.create_tender(deadline_in=3)
    tid, deadline = tender["id"], parse_iso(tender["deadline"])
    bidder = await api.register("延期中上传公司")
    sealed = seal_bid(bidder, tid, "1", {"price": "1.00", "duration_days": "1"})
    # The upload starts now; its last byte comes 0.5 s after the first deadline.
    upload = asyncio.create_task(
        api.call(
            "PUT",
            f"/api/tenders/{tid}/lots/1/bid",
            headers=bidder.auth,
            data=slow_body(sealed, deadline + timedelta(seconds=0.5)),
        )
    )
    await asyncio.sleep(max((deadline - datetime.now(UTC)).total_seconds() - 1.5, 0))
    new_deadline = deadline + timedelta(seconds=60)
    await api.host(tid, "reschedule", {"deadline": iso(new_deadline), "reason": "系统维护，延期"})
    status, body = await upload
    assert status == 201, body
    assert deadline < await received_at(api, body) < new_deadline


@pytest.fixture
def hub_env() -> dict[str, str]:
    return TRUSTED_LOCAL_PROXY


async def _flood(base_url: str, stop: asyncio.Event, statuses: list[int], lane: int) -> None:
    """Wrong host passwords as fast as one connection goes, each from a new address."""
    addresses = (f"10.{lane}.{n // 250}.{n % 250 + 1}" for n in itertools.count())
    async with aiohttp.ClientSession(base_url=base_url) as http:
        while not stop.is_set():
            async with http.post(
                "/api/host/login",
                json={"username": "host1", "password": "wrong-password"},
                headers=via_proxy(next(addresses)),
            ) as response:
                await response.read()
                statuses.append(response.status)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_login_flood_does_not_push_a_bid_that_arrived_in_time_past_the_deadline(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tender = await api.create_tender(deadline_in=5)
    tid, deadline = tender["id"], parse_iso(tender["deadline"])
    bidder = await api.register("洪水中投标公司")
    sealed = seal_bid(bidder, tid, "1", {"price": "1.00", "duration_days": "1"}, b"x" * 200_000)
    stop, statuses = asyncio.Event(), []
    # 24 connections, every guess from another address: no per-address throttle applies,
    # only the password pool's own bound stands between the guesses and the upload.
    floods = [
        asyncio.create_task(_flood(hub_process.base_url, stop, statuses, lane))
        for lane in range(24)
    ]
    try:
        await asyncio.sleep(1.5)
        status, body = await api.call(
            "PUT",
            f"/api/tenders/{tid}/lots/1/bid",
            headers=bidder.auth,
            data=slow_body(sealed, deadline - timedelta(seconds=0.4)),
        )
    finally:
        stop.set()
        await asyncio.gather(*floods)
    assert status == 201, body
    assert await received_at(api, body) < deadline
    assert statuses and set(statuses) <= {401, 503}, set(statuses)
    assert "Traceback" not in hub_process.log_text()
    # The bid is counted at the deadline.
    snap = await _after_deadline(api, tid)
    assert len(snap["view"]["bids"]) == 1


async def _after_deadline(api: HubApi, tid: str) -> dict[str, object]:
    for _ in range(100):
        snap = await api.snapshot(tid, api.host_auth)
        if snap["view"]["phase"] != "scheduled":
            return snap
        await asyncio.sleep(0.2)
    raise AssertionError("the deadline was not ticked")
