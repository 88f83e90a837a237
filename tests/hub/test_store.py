"""The store on SQLite and PostgreSQL: tender codes, the event log's seq and its leaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hubtesting import HubApi, a_host_of_an_organisation
from sqlalchemy.exc import IntegrityError

from bidopen.store import eventlog
from bidopen.store.db import Database, is_unique_violation
from bidopen.store.event_leaves import LeafedEvent, event_entry, leaf_problem
from bidopen.store.eventlog import NewEvent, StoredEvent
from bidopen.store.tenders import insert_tender
from bidopen.tlog.merkle import leaf_hash
from hubprocess import HubProcess

NOW = datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    (tmp_path / "data").mkdir(exist_ok=True)
    database = Database(database_url)
    await database.create_schema()
    await a_host_of_an_organisation(database)
    yield database
    await database.close()


def new_events(count: int) -> list[NewEvent]:
    return [
        NewEvent("tick_kind", f"2026-11-27T01:02:0{i}.000000Z", {"n": i, "名": "值"})
        for i in range(count)
    ]


async def test_tender_codes_are_sequential_under_concurrency(db: Database) -> None:
    async def create(i: int) -> str:
        async with db.write() as conn:
            return await insert_tender(
                conn,
                title=f"t{i}",
                deadline=NOW + timedelta(days=1),
                spec={},
                lot_names=[("1", "标段1")],
                created_by="host",
                organisation_id="org-1",
                now=NOW,
            )

    codes = await asyncio.gather(*(create(i) for i in range(20)))
    assert sorted(codes) == [f"ZB-2026-{n:06d}" for n in range(1, 21)]

    # A transaction that rolls back gives its number back: no issued code is ever reused.
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await insert_tender(
                conn,
                title="x",
                deadline=NOW,
                spec={},
                lot_names=[("1", "x")],
                created_by="host",
                organisation_id="org-1",
                now=NOW,
            )
            raise RuntimeError("abandon")
    assert await create(99) == "ZB-2026-000021"
    next_year = NOW.replace(year=2027)
    async with db.write() as conn:
        code = await insert_tender(
            conn,
            title="y",
            deadline=next_year,
            spec={},
            lot_names=[("1", "x")],
            created_by="host",
            organisation_id="org-1",
            now=next_year,
        )
    assert code == "ZB-2027-000001"


def numbered(session_id: str, after: int, events: list[NewEvent]) -> list[StoredEvent]:
    return [
        StoredEvent(session_id, after + n, e.kind, e.at, e.payload, leaf=after + n - 1)
        for n, e in enumerate(events, start=1)
    ]


async def test_same_seq_twice_is_refused(db: Database) -> None:
    stored = numbered("S1", 0, new_events(3))
    async with db.write() as conn:
        await eventlog.append(conn, stored)
    rival = numbered("S1", 2, [NewEvent("other", "2026-11-27T01:02:09.000000Z", {})])
    with pytest.raises(IntegrityError) as caught:
        async with db.write() as conn:
            await eventlog.append(conn, rival)
    assert is_unique_violation(caught.value)
    async with db.read() as conn:
        loaded = await eventlog.load(conn, "S1")
        assert await eventlog.last_seq(conn, "S1") == 3
    assert loaded == stored


def leafed(events: list[StoredEvent]) -> list[LeafedEvent]:
    """The events with the entries and leaf hashes the log holds of them, unchanged."""
    return [LeafedEvent(e, event_entry(e), leaf_hash(event_entry(e))) for e in events]


def test_every_change_of_an_event_or_its_leaf_is_found() -> None:
    stored = numbered("S1", 0, new_events(4))
    good = leafed(stored)
    assert leaf_problem(good) is None
    edited = [
        [*good[:2], replace(good[2], event=_with(stored[2], payload={"n": 99})), good[3]],
        [good[0], replace(good[1], event=_with(stored[1], kind="forged")), *good[2:]],
        [replace(good[0], event=_with(stored[0], at="2026-11-27T00:00:00.000000Z")), *good[1:]],
        [good[0], *good[2:]],  # a gap
        good[1:],  # the first is missing
        [*good[:3], replace(good[3], event=_with(stored[3], leaf=None))],
        [*good[:3], replace(good[3], entry=None)],
        # The entry edited to match the edited event: its leaf hash no longer matches.
        [
            *good[:3],
            LeafedEvent(
                _with(stored[3], payload={}),
                event_entry(_with(stored[3], payload={})),
                good[3].hash,
            ),
        ],
        # The event named another event's leaf.
        [*good[:3], LeafedEvent(_with(stored[3], leaf=2), good[2].entry, good[2].hash)],
    ]
    for broken in edited:
        assert leaf_problem(broken) is not None
    # A tail is checked from the seq it follows.
    assert leaf_problem(good[2:], after=2) is None
    assert "content does not match its leaf 1" in str(leaf_problem(edited[1]))


def _with(event: StoredEvent, **changes: Any) -> StoredEvent:
    return replace(event, **changes)


async def test_tender_codes_over_http(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tenders = await asyncio.gather(*(api.create_tender() for _ in range(5)))
    year = datetime.now(UTC).year
    assert sorted(t["code"] for t in tenders) == [f"ZB-{year}-{n:06d}" for n in range(1, 6)]
    _, listed = await api.call("GET", "/api/tenders", expect=200)
    assert len(listed["tenders"]) == 5 and all("bids" not in t for t in listed["tenders"])
