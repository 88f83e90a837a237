"""Heartbeats of hub processes, so a restart can tell how long the platform was down."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.clock import parse_iso
from bidopen.store.schema import node_heartbeats


async def beat(conn: AsyncConnection, node_id: str, started_at: datetime, now: datetime) -> None:
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    stmt = insert_(node_heartbeats).values(node_id=node_id, started_at=started_at, last_seen=now)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[node_heartbeats.c.node_id], set_={"last_seen": now}
        )
    )


async def last_seen_of_others(conn: AsyncConnection, node_id: str) -> datetime | None:
    """The newest heartbeat of any other process, or None when no process ever ran."""
    row = (
        await conn.execute(
            select(func.max(node_heartbeats.c.last_seen)).where(
                node_heartbeats.c.node_id != node_id
            )
        )
    ).first()
    if row is None or row[0] is None:
        return None
    # func.max loses the column type; read the stored text back as an instant.
    return parse_iso(str(row[0]))
