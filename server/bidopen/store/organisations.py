"""Organisations (trading centres, tender agencies): their rows and the look-alike check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.session.text import look_alike_key
from bidopen.store.schema import organisations


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str


class NameLooksTaken(Exception):
    """Another organisation's name looks the same as this one (or is this one)."""


async def add_organisation(
    conn: AsyncConnection, organisation_id: str, name: str, now: datetime
) -> None:
    """Store a new organisation; NameLooksTaken if its name looks like one already stored."""
    key = look_alike_key(name)
    if await _holder_of_key(conn, key) is not None:
        raise NameLooksTaken(name)
    await conn.execute(
        insert(organisations).values(id=organisation_id, name=name, name_key=key, created_at=now)
    )


async def rename_organisation(conn: AsyncConnection, organisation_id: str, name: str) -> bool:
    key = look_alike_key(name)
    holder = await _holder_of_key(conn, key)
    if holder is not None and holder != organisation_id:
        raise NameLooksTaken(name)
    try:
        result = await conn.execute(
            update(organisations)
            .where(organisations.c.id == organisation_id)
            .values(name=name, name_key=key)
        )
    except IntegrityError as exc:  # a rename that raced another
        raise NameLooksTaken(name) from exc
    return result.rowcount == 1


async def _holder_of_key(conn: AsyncConnection, key: str) -> str | None:
    row = (
        await conn.execute(select(organisations.c.id).where(organisations.c.name_key == key))
    ).first()
    return None if row is None else str(row.id)


async def get_organisation(conn: AsyncConnection, organisation_id: str) -> Organisation | None:
    row = (
        await conn.execute(select(organisations).where(organisations.c.id == organisation_id))
    ).first()
    return None if row is None else Organisation(row.id, row.name)


async def list_organisations(conn: AsyncConnection) -> list[Organisation]:
    rows = await conn.execute(select(organisations).order_by(organisations.c.id))
    return [Organisation(row.id, row.name) for row in rows]
