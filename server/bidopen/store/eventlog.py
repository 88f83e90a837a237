"""The session event log: gap-free sequence numbers per session, each event a public-log leaf."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.schema import session_events


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended: the kind, the server's instant (ISO text) and the payload."""

    kind: str
    at: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class StoredEvent:
    session_id: str
    seq: int
    kind: str
    at: str
    payload: dict[str, Any]
    leaf: int | None = None  # its entry's index in the public log (none before it is appended)


def canonical_json(value: object) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes that are hashed (docs/protocol.md, event log)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def append(conn: AsyncConnection, events: Sequence[StoredEvent]) -> None:
    """Insert events; a concurrent writer of the same seq makes it raise IntegrityError."""
    if not events:
        return
    await conn.execute(
        insert(session_events),
        [
            {
                "session_id": e.session_id,
                "seq": e.seq,
                "kind": e.kind,
                "at": e.at,
                "payload": canonical_json(e.payload).decode(),
                "leaf": e.leaf,
            }
            for e in events
        ],
    )


async def load(conn: AsyncConnection, session_id: str, *, after: int = 0) -> list[StoredEvent]:
    rows = await conn.execute(
        select(session_events)
        .where(session_events.c.session_id == session_id, session_events.c.seq > after)
        .order_by(session_events.c.seq)
    )
    return [
        StoredEvent(
            row.session_id,
            row.seq,
            row.kind,
            row.at,
            json.loads(row.payload),
            None if row.leaf is None else int(row.leaf),
        )
        for row in rows
    ]


async def last_seq(conn: AsyncConnection, session_id: str) -> int:
    """The seq of a session's newest event, 0 for an empty log."""
    row = (
        await conn.execute(
            select(func.max(session_events.c.seq)).where(session_events.c.session_id == session_id)
        )
    ).first()
    return 0 if row is None or row[0] is None else int(row[0])


async def session_ids(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(select(func.distinct(session_events.c.session_id)))
    return [str(row[0]) for row in rows]
