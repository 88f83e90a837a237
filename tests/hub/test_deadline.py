"""The deadline is exact on the server clock: the last byte must be stored before it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from hubtesting import Bidder, HubApi, parse_iso, seal_bid, slow_body

from bidseal import verify_document
from bidseal.codec import b64u_decode
from hubprocess import HubProcess


def stored_files(data_dir: Path) -> list[Path]:
    bids = data_dir / "bids"
    return [p for p in bids.rglob("*") if p.is_file()] if bids.exists() else []


async def wait_until(at: datetime) -> None:
    await asyncio.sleep(max((at - datetime.now(UTC)).total_seconds(), 0))


async def test_last_byte_before_and_after_the_deadline(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    early, late = await api.register("早到公司"), await api.register("迟到公司")
    tender = await api.create_tender(deadline_in=3)
    tid, deadline = tender["id"], parse_iso(tender["deadline"])
    early_bid = seal_bid(early, tid, "1", {"price": "1.00", "duration_days": "1"})
    late_bid = seal_bid(late, tid, "1", {"price": "2.00", "duration_days": "2"})
    # The early upload completes 0.4 s before the deadline, the late one 0.3 s after.
    early_task = api.call(
        "PUT",
        f"/api/tenders/{tid}/lots/1/bid",
        headers=early.auth,
        data=slow_body(early_bid, deadline - _seconds(0.4)),
    )
    late_task = api.call(
        "PUT",
        f"/api/tenders/{tid}/lots/1/bid",
        headers=late.auth,
        data=slow_body(late_bid, deadline + _seconds(0.3)),
    )
    (early_status, early_body), (late_status, late_body) = await asyncio.gather(
        early_task, late_task
    )
    assert early_status == 201, early_body
    assert late_status == 409 and late_body["error"]["code"] == "deadline_passed", late_body
    _, key = await api.call("GET", "/api/server-key", expect=200)
    receipt = verify_document(early_body["receipt"], "receipt", b64u_decode(key["key"]))
    assert parse_iso(str(receipt["received_at"])) < deadline
    # Only the early bid's file exists; the late one left nothing behind.
    files = stored_files(hub_process.data_dir)
    assert len([f for f in files if ".incoming" not in f.parts]) == 1
    assert not [f for f in files if ".incoming" in f.parts]
    await wait_until(deadline + _seconds(2.5))
    events = await api.events(tid, auth=api.host_auth)
    passed = next(e for e in events if e["kind"] == "deadline_passed")
    assert [b["bidder"] for b in passed["data"]["bids"]] == [early.id]


async def test_fifty_uploads_straddling_the_deadline(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    # Bidders register before the tender exists: on a busy machine that takes a while.
    bidders: list[Bidder] = [await api.register(f"公司{i:02d}") for i in range(50)]
    tender = await api.create_tender(deadline_in=4)
    tid, deadline = tender["id"], parse_iso(tender["deadline"])
    sealed = [
        seal_bid(b, tid, "1", {"price": f"{i}.00", "duration_days": "1"})
        for i, b in enumerate(bidders)
    ]
    # Finish times spread from 1.5 s before to 1 s after the deadline.
    finish = [deadline + _seconds(-1.5 + 2.5 * i / 49) for i in range(50)]
    results = await asyncio.gather(
        *(
            api.call("PUT", f"/api/tenders/{tid}/lots/1/bid", headers=b.auth, data=slow_body(s, at))
            for b, s, at in zip(bidders, sealed, finish, strict=True)
        )
    )
    accepted = {b.id for b, (status, _) in zip(bidders, results, strict=True) if status == 201}
    _, key = await api.call("GET", "/api/server-key", expect=200)
    for at, (status, body) in zip(finish, results, strict=True):
        assert status in (201, 409), body
        if status == 201:
            # Stored durably before the deadline, by the server's own signed word.
            receipt = verify_document(body["receipt"], "receipt", b64u_decode(key["key"]))
            assert parse_iso(str(receipt["received_at"])) < deadline
        else:
            assert body["error"]["code"] == "deadline_passed"
        # A last byte sent after the deadline cannot have been stored before it. (How long
        # before the deadline a byte must be sent depends on the machine's fsync.)
        if at > deadline:
            assert status == 409
    assert accepted, "the uploads finishing 1.5 s early were stored in time"
    await wait_until(deadline + _seconds(2.5))
    events = await api.events(tid, auth=api.host_auth)
    passed = next(e for e in events if e["kind"] == "deadline_passed")
    assert {b["bidder"] for b in passed["data"]["bids"]} == accepted
    kept = [f for f in stored_files(hub_process.data_dir) if ".incoming" not in f.parts]
    assert len(kept) == len(accepted)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
