"""The session event log: gap-free sequence numbers per session and a SHA-256 hash chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.schema import session_events

GENESIS_HASH = "0" * 64


class BrokenChain(Exception):
    """The stored log does not verify: a gap, a changed event or a changed link."""


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
    prev_hash: str
    hash: str


def canonical_json(value: object) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes that are hashed (docs/protocol.md, event log)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(prev_hash: str, seq: int, kind: str, at: str, payload: dict[str, Any]) -> str:
    """hash = hex(SHA-256(bytes.fromhex(prev_hash) || canonical JSON of seq, kind, at, payload))."""
    body = canonical_json({"seq": seq, "kind": kind, "at": at, "payload": payload})
    return hashlib.sha256(bytes.fromhex(prev_hash) + body).hexdigest()


def chain(
    session_id: str, last_seq: int, last_hash: str, events: Sequence[NewEvent]
) -> list[StoredEvent]:
    """Number and link new events after the log's last (seq, hash)."""
    stored: list[StoredEvent] = []
    prev = last_hash
    for offset, event in enumerate(events, start=1):
        seq = last_seq + offset
        digest = event_hash(prev, seq, event.kind, event.at, event.payload)
        stored.append(
            StoredEvent(session_id, seq, event.kind, event.at, event.payload, prev, digest)
        )
        prev = digest
    return stored


def verify_chain(
    events: Sequence[StoredEvent], *, after_seq: int = 0, after_hash: str = GENESIS_HASH
) -> None:
    """Raise `BrokenChain` unless events follow (after_seq, after_hash) without gap or change."""
    prev, expected = after_hash, after_seq + 1
    for event in events:
        if event.seq != expected:
            raise BrokenChain(f"expected seq {expected}, found {event.seq}")
        if event.prev_hash != prev:
            raise BrokenChain(f"seq {event.seq}: link to the previous event is broken")
        if event_hash(prev, event.seq, event.kind, event.at, event.payload) != event.hash:
            raise BrokenChain(f"seq {event.seq}: content does not match its hash")
        prev, expected = event.hash, expected + 1


async def append(conn: AsyncConnection, events: Sequence[StoredEvent]) -> None:
    """Insert chained events; a concurrent writer of the same seq makes it raise IntegrityError."""
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
                "prev_hash": e.prev_hash,
                "hash": e.hash,
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
            row.prev_hash,
            row.hash,
        )
        for row in rows
    ]


async def head(conn: AsyncConnection, session_id: str) -> tuple[int, str]:
    """The last (seq, hash) of a session, or (0, GENESIS_HASH) for an empty log."""
    row = (
        await conn.execute(
            select(session_events.c.seq, session_events.c.hash)
            .where(session_events.c.session_id == session_id)
            .order_by(session_events.c.seq.desc())
            .limit(1)
        )
    ).first()
    return (0, GENESIS_HASH) if row is None else (int(row.seq), str(row.hash))


async def session_ids(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(select(func.distinct(session_events.c.session_id)))
    return [str(row[0]) for row in rows]
