"""A whole opening against a real hub: bids, deadline, decryption, read-out, record, log chain."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import socketio
from hubtesting import HubApi, data_key_of, parse_iso, seal_bid, verified_log, wait_for_phase

from bidseal import verify_document
from bidseal.codec import b64u_decode
from hubprocess import HubProcess

PRICES = {"甲建设集团": "1000000.00", "乙路桥公司": "990000.50", "丙工程有限公司": "1010000.00"}


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def test_full_opening(hub_process: HubProcess, hub_client: aiohttp.ClientSession) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    # Registered first: only sealing and uploading have to fit before the deadline.
    bidders = [await api.register(name) for name in PRICES]
    tender = await api.create_tender(deadline_in=2.5)
    tid = tender["id"]
    sealed: dict[str, bytes] = {}
    receipt_ids: list[str] = []
    for bidder in bidders:
        sealed[bidder.id] = seal_bid(
            bidder, tid, "1", {"price": PRICES[bidder.name], "duration_days": "180"}
        )
        status, body = await api.upload(bidder, tid, "1", sealed[bidder.id])
        assert status == 201, body
        payload = verify_document(body["receipt"], "receipt", await server_key(api))
        assert parse_iso(str(payload["received_at"])) < parse_iso(tender["deadline"])
        # A receipt names its bid by an id that counts nothing: no number before the deadline.
        assert "receipt_no" not in payload and str(payload["receipt_id"]).startswith("r_")
        receipt_ids.append(str(payload["receipt_id"]))
        _, mine = await api.call("GET", f"/api/tenders/{tid}/bids/mine", headers=bidder.auth)
        assert [b["receipt_id"] for b in mine["bids"]] == [payload["receipt_id"]]
    assert len(set(receipt_ids)) == len(receipt_ids)
    # One bidder signs in before the deadline: kept privately, listed by the deadline event.
    await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidders[0].auth, expect=200)

    host_socket = socketio.AsyncClient()
    received: list[dict[str, Any]] = []
    host_socket.on("event", lambda message: received.append(message), namespace="/host")
    await host_socket.connect(
        hub_process.base_url,
        namespaces=["/host"],
        auth={"token": api.host_token},
        transports=["websocket"],
    )
    joined = await host_socket.call("join", {"session_id": tid}, namespace="/host")
    assert joined["snapshot"]["view"]["phase"] == "scheduled"

    await wait_for_phase(api, tid, "opening")
    await api.host(tid, "start_decryption")
    for bidder in bidders[1:]:
        await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
    # A wrong key is recorded as a failed attempt and refused clearly.
    wrong = data_key_of(bidders[1], sealed[bidders[1].id], tid, "1")
    status, body = await api.call(
        "POST",
        f"/api/tenders/{tid}/lots/1/data-key",
        headers=bidders[0].auth,
        json={"data_key": wrong},
    )
    assert (status, body["error"]["code"]) == (422, "wrong_data_key")
    for bidder in bidders:
        key = data_key_of(bidder, sealed[bidder.id], tid, "1")
        await api.call(
            "POST",
            f"/api/tenders/{tid}/lots/1/data-key",
            headers=bidder.auth,
            json={"data_key": key},
            expect=200,
        )
    # Prices stay out of every view until the read-out.
    public = await api.snapshot(tid)
    assert not any(price in json.dumps(public) for price in PRICES.values())
    await api.host(tid, "close_decryption")
    snap = await wait_for_phase(api, tid, "confirmation")
    readout = json.dumps(snap["view"]["readout"], ensure_ascii=False)
    assert all(price in readout for price in PRICES.values())
    for bidder in bidders:
        await api.confirm(tid, bidder)
    await api.host(tid, "close_confirmation")
    await api.host(tid, "publish_record")
    status, record = await api.call("GET", f"/api/sessions/{tid}/record", expect=200)
    signed: Any = verify_document(record, "opening-record", await server_key(api))
    # The signed record names every bidder by id and registered organisation, bid and line.
    registered = {bidder.id: bidder.name for bidder in bidders}
    assert {b["bidder"]: b["bidder_name"] for b in signed["bids"]} == registered
    lines = [line for lot in signed["readout"] for line in lot["lines"]]
    assert {line["bidder"]: line["bidder_name"] for line in lines} == registered
    # The record lists the bids in the order received, numbered 1..n.
    assert [(b["bidder"], b["receipt_no"]) for b in signed["bids"]] == [
        (bidder.id, n) for n, bidder in enumerate(bidders, start=1)
    ]
    assert [line["bidder"] for line in lines] == [bidder.id for bidder in bidders]

    await check_log(api, tid)
    await asyncio.sleep(0.3)
    seqs = [m["seq"] for m in received]
    assert seqs == sorted(seqs) and seqs, "socket events arrive in order"
    assert any(m["kind"] == "read_out" for m in received)
    await host_socket.disconnect()


async def server_key(api: HubApi) -> bytes:
    _, body = await api.call("GET", "/api/server-key", expect=200)
    return b64u_decode(body["key"])


async def check_log(api: HubApi, tid: str) -> None:
    """The log is gap-free from seq 1 and every event is its leaf, proven in the public log."""
    events = await verified_log(api, tid)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["session_scheduled", "deadline_passed"]
    assert "read_out" in kinds and kinds[-1] == "record_published"


async def test_bidder_sees_only_itself(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender(deadline_in=3600, lots=("1", "2")))["id"]
    first, second = await api.register("甲"), await api.register("乙")
    for bidder in (first, second):
        sealed = seal_bid(bidder, tid, "1", {"price": "1.00", "duration_days": "1"})
        assert (await api.upload(bidder, tid, "1", sealed))[0] == 201
    # Replace, then withdraw: history rows stay, the signed withdrawal names the hash.
    replacement = seal_bid(first, tid, "1", {"price": "2.00", "duration_days": "1"})
    assert (await api.upload(first, tid, "1", replacement))[0] == 201
    _, withdrawal = await api.call(
        "DELETE", f"/api/tenders/{tid}/lots/1/bid", headers=first.auth, expect=200
    )
    payload = verify_document(withdrawal["withdrawal"], "withdrawal", await server_key(api))
    _, mine = await api.call("GET", f"/api/tenders/{tid}/bids/mine", headers=first.auth, expect=200)
    assert [b["status"] for b in mine["bids"]] == ["replaced", "withdrawn"]
    assert payload["bid_sha256"] == mine["bids"][1]["bid_sha256"]
    assert second.id not in json.dumps(mine)
    _, other = await api.call(
        "GET", f"/api/tenders/{tid}/bids/mine", headers=second.auth, expect=200
    )
    assert [b["status"] for b in other["bids"]] == ["current"]
    assert datetime.now(UTC) < parse_iso((await api.snapshot(tid))["view"]["deadline"])
