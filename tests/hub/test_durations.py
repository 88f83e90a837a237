"""Durations in seconds at the hub: minutes are refused in a request and read in old logs."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import aiohttp
import pytest
from hubtesting import HubApi, seal_bid, verified_log, wait_for_phase
from sqlalchemy import delete, text, update

from bidopen.store import eventlog
from bidopen.store.db import Database
from bidopen.store.schema import schema_version, session_events, tenders
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


GENESIS = "0" * 64
LOG_TABLES = ("log_entries", "log_hashes", "log_head", "log_checkpoints", "event_chain_hashes")


def chain_hash(prev: str, seq: int, kind: str, at: str, payload: dict[str, Any]) -> str:
    """The per-session hash chain of releases before the public log (docs/protocol.md 5.4)."""
    body = {"seq": seq, "kind": kind, "at": at, "payload": payload}
    return hashlib.sha256(bytes.fromhex(prev) + eventlog.canonical_json(body)).hexdigest()


async def _as_the_release_before_seconds(database_url: str, tid: str) -> list[str]:
    """Turn the database into what the release before seconds stored (schema 3: events in
    minutes with their hash chain, no public log); the chain's hashes, in seq order."""
    db = Database(database_url)
    hashes = [GENESIS]
    rows = []
    try:
        async with db.write() as conn:
            for event in await eventlog.load(conn, tid):
                payload = dict(event.payload)
                for now, then in MINUTE_FIELDS.get(event.kind, ()):
                    payload[then] = payload.pop(now) // 60
                hashes.append(chain_hash(hashes[-1], event.seq, event.kind, event.at, payload))
                rows.append(
                    {
                        "session_id": tid,
                        "seq": event.seq,
                        "kind": event.kind,
                        "at": event.at,
                        "payload": eventlog.canonical_json(payload).decode(),
                        "prev_hash": hashes[-2],
                        "hash": hashes[-1],
                    }
                )
            for table in LOG_TABLES:
                await conn.execute(text(f"DROP TABLE {table}"))
            await conn.execute(delete(session_events))
            await conn.execute(text("DROP INDEX session_events_by_leaf"))
            await conn.execute(text("ALTER TABLE session_events DROP COLUMN leaf"))
            for column in ("prev_hash", "hash"):
                await conn.execute(
                    text(
                        f"ALTER TABLE session_events ADD COLUMN {column} "
                        "VARCHAR(64) NOT NULL DEFAULT ''"
                    )
                )
            await conn.execute(
                text(
                    "INSERT INTO session_events (session_id, seq, kind, at, payload, "
                    "prev_hash, hash) VALUES (:session_id, :seq, :kind, :at, :payload, "
                    ":prev_hash, :hash)"
                ),
                rows,
            )
            await conn.execute(update(schema_version).values(version=3))
            row = (await conn.execute(tenders.select().where(tenders.c.id == tid))).one()
            old = json.loads(row.spec)
            old.update(decryption_minutes=10, confirmation_minutes=5)
            spec = json.dumps(old, ensure_ascii=False)
            await conn.execute(update(tenders).where(tenders.c.id == tid).values(spec=spec))
    finally:
        await db.close()
    return hashes[1:]


async def _kept_chain(database_url: str, tid: str) -> list[str]:
    db = Database(database_url)
    try:
        async with db.read() as conn:
            rows = await conn.execute(
                text("SELECT hash FROM event_chain_hashes WHERE session_id = :s ORDER BY seq"),
                {"s": tid},
            )
            return [str(r.hash) for r in rows]
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
    chain = await _as_the_release_before_seconds(hub_process.database_url, tid)
    # That release had no public log: no log key, no checkpoint in the data folder.
    for name in ("log-key.pem", "log-checkpoint"):
        (hub_process.data_dir / name).unlink()
    await asyncio.to_thread(hub_process.start)

    # The events are as the old release left them (never rewritten), its chain's hashes are
    # kept readable, and the upgrade made each event a leaf of the public log.
    stored = {e.kind: e.payload for e in await verified_log(api, tid)}
    assert stored["session_scheduled"]["decryption_minutes"] == 10
    assert stored["decryption_extended"]["minutes"] == 5
    assert await _kept_chain(hub_process.database_url, tid) == chain
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
