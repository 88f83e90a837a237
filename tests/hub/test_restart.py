"""Kill -9 during the decryption window: the session resumes where it was, clients catch up."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import socketio
from hubtesting import HubApi, data_key_of, seal_bid

from hubprocess import HubProcess


@pytest.fixture
def hub_env() -> dict[str, str]:
    # A short heartbeat lets a few seconds of downtime count as an outage.
    return {"BIDOPEN_HEARTBEAT_MS": "500", "BIDOPEN_DEADLINE_GRACE_MS": "300"}


async def wait_phase(api: HubApi, tid: str, phase: str) -> dict[str, Any]:
    for _ in range(100):
        snap = await api.snapshot(tid, api.host_auth)
        if snap["view"]["phase"] == phase:
            return snap
        await asyncio.sleep(0.2)
    raise AssertionError(f"phase never became {phase}")


async def test_kill_during_decryption_and_resume(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    # Accounts first: the two seconds to the deadline only have to hold the uploads.
    bidders = [await api.register(name) for name in ("甲", "乙", "丙")]
    tid = (await api.create_tender(deadline_in=2, decryption_seconds=300))["id"]
    sealed = {}
    for i, bidder in enumerate(bidders):
        sealed[bidder.id] = seal_bid(bidder, tid, "1", {"price": f"{i + 1}00.00"})
        assert (await api.upload(bidder, tid, "1", sealed[bidder.id]))[0] == 201
    await wait_phase(api, tid, "opening")
    await api.host(tid, "start_decryption")
    first = bidders[0]
    await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=first.auth, expect=200)
    await api.call(
        "POST",
        f"/api/tenders/{tid}/lots/1/data-key",
        headers=first.auth,
        json={"data_key": data_key_of(first, sealed[first.id], tid, "1")},
        expect=200,
    )
    before = await api.snapshot(tid, api.host_auth)
    ends_at = before["view"]["ends_at"]

    public = socketio.AsyncClient(reconnection=False)
    messages: list[dict[str, Any]] = []
    public.on("event", messages.append, namespace="/public")
    await public.connect(
        hub_process.base_url,
        namespaces=["/public"],
        auth={"session_id": tid},
        transports=["websocket"],
    )
    last_seen = before["seq"]

    await asyncio.to_thread(hub_process.kill)
    await asyncio.sleep(2.5)
    await asyncio.to_thread(hub_process.start)

    after = await api.snapshot(tid, api.host_auth)
    view = after["view"]
    assert view["phase"] == "decryption"
    assert view["ends_at"] == ends_at, "the window keeps its original end"
    decrypted = {b["bidder"]: b["decrypted_at"] for b in view["bids"]}
    assert decrypted[first.id] is not None and decrypted[bidders[1].id] is None
    # The outage is on the record, reported by the system, so the classification is fair.
    assert [f["reported_by"] for f in view["platform_faults"]] == ["system"]
    # Tokens survive the restart; the second bidder decrypts now.
    second = bidders[1]
    await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=second.auth, expect=200)
    await api.call(
        "POST",
        f"/api/tenders/{tid}/lots/1/data-key",
        headers=second.auth,
        json={"data_key": data_key_of(second, sealed[second.id], tid, "1")},
        expect=200,
    )
    # A client that lost its socket catches up from its last seq, without gaps.
    missed = await api.events(tid, after=last_seen)
    assert [m["seq"] for m in missed] == list(range(last_seen + 1, last_seen + 1 + len(missed)))
    kinds = [m["kind"] for m in missed]
    assert kinds[0] == "platform_fault_recorded" and "bid_decrypted" in kinds
    again = await api.snapshot(tid, api.host_auth)
    assert again["view"]["ends_at"] == ends_at
    assert again["seq"] == missed[-1]["seq"]
    assert public.connected is False
    # Reconnecting, the public socket gets a snapshot at the log's head.
    snapshots: list[dict[str, Any]] = []
    fresh = socketio.AsyncClient()
    fresh.on("snapshot", snapshots.append, namespace="/public")
    await fresh.connect(
        hub_process.base_url,
        namespaces=["/public"],
        auth={"session_id": tid},
        transports=["websocket"],
    )
    for _ in range(50):
        if snapshots:
            break
        await asyncio.sleep(0.1)
    await fresh.disconnect()
    assert snapshots[0]["seq"] == again["seq"] and snapshots[0]["role"] == "public"
