"""Durations in seconds at the hub: minutes are refused in a request and read in old logs."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from bidopen.service.log_heads import LOG_HEADS_DIR
from hubtesting import HubApi, seal_bid, wait_for_phase
from sqlalchemy import delete, update

from bidopen.store import eventlog
from bidopen.store.db import Database
from bidopen.store.schema import session_events, tenders
from hubprocess import HubProcess

# What the release before seconds wrote: (kind, field in seconds now, field in minutes then).
MINUTE_FIELDS = {
    "session_scheduled": (
        ("decryption_seconds", "decryption_minutes"),
        ("confirmation_seconds", "confirmation_minutes"),
    ),
    "decryption_extended": (("seconds", "minutes"),),
}


@pytest.fixture
def hub_env() -> dict[str, str]:
    # The stop for the rewrite must not count as an outage (that would add a fault event).
    return {"BIDOPEN_HEARTBEAT_MS": "600000"}


async def _rewrite_in_minutes(database_url: str, tid: str) -> None:
    """Turn the session's log and tender into what the release before seconds stored."""
    db = Database(database_url)
    try:
        async with db.write() as conn:
            stored = await eventlog.load(conn, tid)
            old = []
            for event in stored:
                payload = dict(event.payload)
                for now, then in MINUTE_FIELDS.get(event.kind, ()):
                    payload[then] = payload.pop(now) // 60
                old.append(eventlog.NewEvent(event.kind, event.at, payload))
            chained = eventlog.chain(tid, 0, eventlog.GENESIS_HASH, old)
            await conn.execute(delete(session_events).where(session_events.c.session_id == tid))
            await eventlog.append(conn, chained)
            row = (await conn.execute(tenders.select().where(tenders.c.id == tid))).one()
            spec = row.spec.replace(
                "}", ', "decryption_minutes": 10, "confirmation_minutes": 5}', 1
            )
            await conn.execute(update(tenders).where(tenders.c.id == tid).values(spec=spec))
    finally:
        await db.close()


async def test_a_log_in_minutes_replays_to_the_same_windows(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    bidders = [await api.register(name) for name in ("甲", "乙", "丙")]
    tender = await api.create_tender(
        deadline_in=2, decryption_seconds=600, confirmation_seconds=300
    )
    tid = tender["id"]
    for bidder in bidders:
        sealed = seal_bid(bidder, tid, "1", {"price": "1"})
        assert (await api.upload(bidder, tid, "1", sealed))[0] == 201
    await wait_for_phase(api, tid, "opening")
    await api.host(tid, "start_decryption")
    await api.host(tid, "extend_decryption", {"seconds": 300, "reason": "网络拥堵"})
    before = await api.snapshot(tid, api.host_auth)
    _, events_before = await api.call("GET", f"/api/sessions/{tid}/events", headers=api.host_auth)

    await asyncio.to_thread(hub_process.stop)
    await _rewrite_in_minutes(hub_process.database_url, tid)
    # That release kept no signed heads of the logs outside the database (LOG_HEADS_DIR).
    (hub_process.data_dir / LOG_HEADS_DIR / f"{tid}.json").unlink()
    await asyncio.to_thread(hub_process.start)

    # The log is as the old release left it, and its chain holds.
    _, log = await api.call("GET", f"/api/sessions/{tid}/log", headers=api.host_auth, expect=200)
    stored = {e["kind"]: e["payload"] for e in log["events"]}
    assert stored["session_scheduled"]["decryption_minutes"] == 10
    assert stored["decryption_extended"]["minutes"] == 5
    eventlog.verify_chain(
        [
            eventlog.StoredEvent(
                tid, e["seq"], e["kind"], e["at"], e["payload"], e["prev_hash"], e["hash"]
            )
            for e in log["events"]
        ]
    )
    # Read in today's form: the same view, the same events, the same tender.
    after = await api.snapshot(tid, api.host_auth)
    assert after["view"] == before["view"]
    assert after["view"]["extensions"][0]["seconds"] == 300
    _, events_after = await api.call("GET", f"/api/sessions/{tid}/events", headers=api.host_auth)
    assert events_after == events_before
    described: dict[str, Any] = (await api.call("GET", f"/api/tenders/{tid}", expect=200))[1]
    assert (described["decryption_seconds"], described["confirmation_seconds"]) == (600, 300)
    assert "decryption_minutes" not in described


async def test_a_window_in_minutes_or_too_short_is_refused_and_nothing_made(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    deadline = "2099-01-01T00:00:00Z"
    body = {"title": "时长", "lots": [{"id": "1", "name": "标段一"}], "deadline": deadline}
    # A field of the old release is unknown now, and refused by name; so is a bad window.
    for wrong in (
        {"decryption_minutes": 30},
        {"confirmation_minutes": 15},
        {"decryption_seconds": 4},
        {"confirmation_seconds": 90.5},
    ):
        status, answer = await api.call(
            "POST", "/api/tenders", json={**body, **wrong}, headers=api.host_auth
        )
        assert (status, answer["error"]["code"]) == (422, "validation_failed"), wrong
        assert answer["error"]["field"] == next(iter(wrong))
    _, listed = await api.call("GET", "/api/tenders", expect=200)
    assert listed["tenders"] == []
    made = await api.create_tender(decryption_seconds=5, confirmation_seconds=5)
    assert (made["decryption_seconds"], made["confirmation_seconds"]) == (5, 5)
