"""Signed documents the server issued (receipts, withdrawals, opening records, results)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.schema import documents


async def add_document(
    conn: AsyncConnection,
    *,
    tender_id: str,
    type_: str,
    owner: str | None,
    body: str,
    now: datetime,
    ref: str | None = None,
) -> None:
    """Keep an issued document; `ref` names what it is about (a bid hash, a lot)."""
    await conn.execute(
        insert(documents).values(
            tender_id=tender_id, type=type_, owner=owner, ref=ref, body=body, created_at=now
        )
    )


async def latest_document(
    conn: AsyncConnection,
    tender_id: str,
    type_: str,
    owner: str | None = None,
    ref: str | None = None,
) -> str | None:
    """The newest signed document of a type (and owner) for a tender, as the JSON text issued."""
    stmt = select(documents.c.body).where(
        documents.c.tender_id == tender_id, documents.c.type == type_
    )
    if owner is not None:
        stmt = stmt.where(documents.c.owner == owner)
    if ref is not None:
        stmt = stmt.where(documents.c.ref == ref)
    row = (await conn.execute(stmt.order_by(documents.c.id.desc()).limit(1))).first()
    return None if row is None else str(row.body)


async def documents_of(conn: AsyncConnection, tender_id: str, type_: str) -> list[str]:
    """Every signed document of a type for a tender, oldest first, as the JSON texts issued."""
    stmt = (
        select(documents.c.body)
        .where(documents.c.tender_id == tender_id, documents.c.type == type_)
        .where(documents.c.owner.is_(None))
        .order_by(documents.c.id)
    )
    return [str(row.body) for row in await conn.execute(stmt)]


async def newest_document(conn: AsyncConnection) -> str | None:
    """The newest signed document of any tender (the start checks read the key it names)."""
    row = (
        await conn.execute(select(documents.c.body).order_by(documents.c.id.desc()).limit(1))
    ).first()
    return None if row is None else str(row.body)


async def owned_documents(
    conn: AsyncConnection, tender_id: str, type_: str
) -> list[tuple[str, str, str]]:
    """(owner, ref, body) of every document of a type that names an owner, oldest first."""
    stmt = (
        select(documents.c.owner, documents.c.ref, documents.c.body)
        .where(documents.c.tender_id == tender_id, documents.c.type == type_)
        .where(documents.c.owner.is_not(None))
        .order_by(documents.c.id)
    )
    return [(str(r.owner), str(r.ref), str(r.body)) for r in await conn.execute(stmt)]
