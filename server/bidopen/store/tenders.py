"""Tenders and their lots; tender codes `ZB-<year>-<6 digits>` come from a never-reused counter."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.counters import next_value
from bidopen.store.schema import lots, tenders


@dataclass(frozen=True)
class TenderRow:
    """A stored tender; `spec` is the JSON the service layer wrote (lots, sign-in, items)."""

    id: str
    title: str
    deadline: datetime
    spec: dict[str, Any]
    created_at: datetime


def tender_code(year: int, number: int) -> str:
    if number >= 1_000_000:
        raise OverflowError(f"tender codes of {year} are exhausted")
    return f"ZB-{year:04d}-{number:06d}"


async def insert_tender(
    conn: AsyncConnection,
    *,
    title: str,
    deadline: datetime,
    spec: dict[str, Any],
    lot_names: list[tuple[str, str]],
    created_by: str,
    organisation_id: str,
    now: datetime,
) -> str:
    """Store a tender under the next code of the current year and return the code."""
    code = tender_code(now.year, await next_value(conn, f"tender-code:{now.year}"))
    await conn.execute(
        insert(tenders).values(
            id=code,
            title=title,
            deadline=deadline,
            spec=json.dumps(spec, ensure_ascii=False, sort_keys=True),
            created_by=created_by,
            organisation_id=organisation_id,
            created_at=now,
        )
    )
    await conn.execute(
        insert(lots),
        [
            {"tender_id": code, "lot_id": lot_id, "name": name, "position": i}
            for i, (lot_id, name) in enumerate(lot_names)
        ],
    )
    return code


def _tender(row: Row[Any]) -> TenderRow:
    return TenderRow(row.id, row.title, row.deadline, json.loads(row.spec), row.created_at)


async def get_tender(
    conn: AsyncConnection, tender_id: str, *, lock: bool = False
) -> TenderRow | None:
    """Read a tender; `lock` holds its row until commit, serialising the session's writers."""
    stmt = select(tenders).where(tenders.c.id == tender_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    return None if row is None else _tender(row)


async def list_tenders(
    conn: AsyncConnection, *, limit: int, offset: int, organisation: str | None = None
) -> list[TenderRow]:
    """Newest first; only one organisation's tenders when `organisation` is given."""
    query = select(tenders)
    if organisation is not None:
        query = query.where(tenders.c.organisation_id == organisation)
    rows = await conn.execute(
        query.order_by(tenders.c.created_at.desc(), tenders.c.id.desc()).limit(limit).offset(offset)
    )
    return [_tender(row) for row in rows]


async def tender_ids(conn: AsyncConnection) -> list[str]:
    return [row.id for row in await conn.execute(select(tenders.c.id))]


async def has_tenders(conn: AsyncConnection) -> bool:
    return (await conn.execute(select(tenders.c.id).limit(1))).first() is not None


async def organisation_of(conn: AsyncConnection, tender_id: str) -> str | None:
    """The organisation a tender belongs to; None for an unknown tender."""
    row = (
        await conn.execute(select(tenders.c.organisation_id).where(tenders.c.id == tender_id))
    ).first()
    return None if row is None else str(row.organisation_id)
