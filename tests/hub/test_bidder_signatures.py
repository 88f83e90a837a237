"""Bidders sign what they confirm and object: the hub refuses a missing, forged or replayed
signature, keeps the signature in the event, and the record lists each one and its leaves."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest
from hubtesting import (
    Bidder,
    HubApi,
    data_key_of,
    seal_bid,
    signed_objection,
    verified_log,
    wait_for_phase,
)

from bidseal import verify_document
from bidseal.codec import b64u_decode
from bidseal.statements import (
    confirmation_message,
    readout_sha256,
    sign_statement,
    verify_statement,
)
from hubprocess import HubProcess


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    return shared_hub


async def _read_out(api: HubApi, hub: HubProcess) -> tuple[str, list[Bidder]]:
    await api.login_host(hub.host_user, hub.host_password)
    tid = (await api.create_tender(deadline_in=2.5, confirmation_seconds=60))["id"]
    bidders = [await api.register(name) for name in ("甲签名公司", "乙签名公司", "丙签名公司")]
    sealed = {}
    for n, bidder in enumerate(bidders):
        sealed[bidder.id] = seal_bid(
            bidder, tid, "1", {"price": f"{100 + n}.00", "duration_days": "180"}
        )
        status, body = await api.upload(bidder, tid, "1", sealed[bidder.id])
        assert status == 201, body
    await wait_for_phase(api, tid, "opening")
    await api.host(tid, "start_decryption")
    for bidder in bidders:
        await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
        key = data_key_of(bidder, sealed[bidder.id], tid, "1")
        path = f"/api/tenders/{tid}/lots/1/data-key"
        await api.call("POST", path, headers=bidder.auth, json={"data_key": key}, expect=200)
    await api.host(tid, "close_decryption")
    await wait_for_phase(api, tid, "confirmation")
    return tid, bidders


def _refused(status: int, body: Any) -> None:
    assert status == 401, body
    assert body["error"]["code"] == "signature_invalid"
    assert body["error"]["field"] == "signature"


async def test_confirmations_and_objections_must_be_signed_by_the_bidder(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    tid, (first, second, third) = await _read_out(api, hub_process)
    confirm = f"/api/sessions/{tid}/bidder/confirm"
    view = (await api.snapshot(tid, first.auth))["view"]
    digest = readout_sha256(view["readout"])
    # Missing, another bidder's, and one over another read-out: refused, nothing logged.
    _refused(*await api.call("POST", confirm, headers=first.auth, json={}))
    theirs = confirmation_message(tid, first.id, digest)
    forged = sign_statement(second.keys, theirs)
    _refused(*await api.call("POST", confirm, headers=first.auth, json={"signature": forged}))
    other = sign_statement(first.keys, confirmation_message(tid, first.id, "0" * 64))
    _refused(*await api.call("POST", confirm, headers=first.auth, json={"signature": other}))
    # An objection: unsigned, signed by another bidder, or its text changed after signing.
    obj = f"/api/sessions/{tid}/bidder/object"
    unsigned = {**signed_objection(tid, second, "报价有误"), "signature": ""}
    _refused(*await api.call("POST", obj, headers=second.auth, json=unsigned))
    by_other = signed_objection(tid, third, "报价有误")
    _refused(*await api.call("POST", obj, headers=second.auth, json=by_other))
    changed = {**signed_objection(tid, second, "报价有误"), "text": "报价无误"}
    _refused(*await api.call("POST", obj, headers=second.auth, json=changed))
    snap = await api.snapshot(tid)
    assert snap["view"]["confirmed_count"] == 0 and snap["view"]["objection_count"] == 0

    # Signed ones pass; a replayed objection (same nonce) is refused.
    good = signed_objection(tid, second, "报价有误")
    await api.call("POST", obj, headers=second.auth, json=good, expect=200)
    status, body = await api.call("POST", obj, headers=second.auth, json=good)
    assert (status, body["error"]["code"]) == (409, "objection_repeated")
    await api.host(tid, "answer_objection", {"objection_id": "O1", "text": "已核实"})
    for bidder in (first, second, third):
        await api.confirm(tid, bidder)
    await api.host(tid, "close_confirmation")
    await api.host(tid, "publish_record")

    # The signatures are in the log's events and in the record, and verify with the keys.
    events = await verified_log(api, tid)
    confirmed = {
        e.payload["bidder"]: e.payload["signature"] for e in events if e.kind == "bidder_confirmed"
    }
    assert set(confirmed) == {first.id, second.id, third.id}
    _, record_text = await api.call("GET", f"/api/sessions/{tid}/record", expect=200)
    _, key = await api.call("GET", "/api/server-key", expect=200)
    record: Any = verify_document(record_text, "opening-record", b64u_decode(key["key"]))
    assert record["readout_sha256"] == readout_sha256(record["readout"]) == digest
    keys = {b.id: b.keys.public.signing_key for b in (first, second, third)}
    for line in record["confirmed"]:
        assert line["signature"] == confirmed[line["bidder"]]
        message = confirmation_message(tid, line["bidder"], digest)
        assert verify_statement(keys[line["bidder"]], message, line["signature"])
    assert record["objections"][0]["signature"] == good["signature"]
    assert record["objections"][0]["nonce"] == good["nonce"]
    # The record names the leaf of every event before its publication, and the bid entries.
    assert record["leaves"]["events"] == [e.leaf for e in events[:-1]]
    assert len(record["leaves"]["bids"]) == 3
    _, bundle = await api.call("GET", f"/api/sessions/{tid}/bundle", expect=200)
    bid_leaves = [
        item["index"]
        for item in bundle["entries"]
        if json.loads(base64.b64decode(item["entry"]))["type"] == "bid"
    ]
    assert record["leaves"]["bids"] == bid_leaves
    assert set(bundle["bidder_keys"]) == set(keys)
