"""The store on SQLite and PostgreSQL: tender codes, the event log's seq and hash chain."""

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
from bidopen.store.eventlog import GENESIS_HASH, BrokenChain, NewEvent, chain, verify_chain
from bidopen.store.tenders import insert_tender
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


async def test_same_seq_twice_is_refused(db: Database) -> None:
    stored = chain("S1", 0, GENESIS_HASH, new_events(3))
    async with db.write() as conn:
        await eventlog.append(conn, stored)
    rival = chain("S1", 2, stored[1].hash, [NewEvent("other", "2026-11-27T01:02:09.000000Z", {})])
    with pytest.raises(IntegrityError) as caught:
        async with db.write() as conn:
            await eventlog.append(conn, rival)
    assert is_unique_violation(caught.value)
    async with db.read() as conn:
        loaded = await eventlog.load(conn, "S1")
        assert await eventlog.head(conn, "S1") == (3, stored[-1].hash)
    assert loaded == stored
    verify_chain(loaded)


def test_chain_detects_every_change() -> None:
    stored = chain("S1", 0, GENESIS_HASH, new_events(4))
    verify_chain(stored)
    changed_payload = [*stored[:2], _with(stored[2], payload={"n": 99}), stored[3]]
    changed_kind = [*stored[:1], _with(stored[1], kind="forged"), *stored[2:]]
    changed_at = [_with(stored[0], at="2026-11-27T00:00:00.000000Z"), *stored[1:]]
    gap = [stored[0], *stored[2:]]
    relinked = [*stored[:3], _with(stored[3], prev_hash=stored[1].hash)]
    for broken in (changed_payload, changed_kind, changed_at, gap, relinked, stored[1:]):
        with pytest.raises(BrokenChain):
            verify_chain(broken)
    # A tail verifies from the head it follows.
    verify_chain(stored[2:], after_seq=2, after_hash=stored[1].hash)


def _with(event: eventlog.StoredEvent, **changes: Any) -> eventlog.StoredEvent:
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
