"""Session events against their leaves in the public log: what proves a stored event unchanged.

Every event is appended to the public log in the transaction that stores it (its `leaf`).
An edited event no longer matches its entry; an edited entry no longer matches its leaf
hash; edited hashes no longer give the root of the signed checkpoints; and deleting the
newest events leaves log entries that no event names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.eventlog import StoredEvent, canonical_json
from bidopen.store.schema import log_entries, log_hashes, session_events
from bidopen.tlog.merkle import leaf_hash
from bidopen.tlog.tiles import MAX_ENTRY_BYTES

ENTRY_FORMAT = "bidopen-log-entry/1"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_entry(event: StoredEvent) -> bytes:
    """An event as a log entry; a payload too large for an entry is replaced by its hash."""
    body: dict[str, Any] = {
        "format": ENTRY_FORMAT,
        "type": "event",
        "session": event.session_id,
        "seq": event.seq,
        "kind": event.kind,
        "at": event.at,
        "payload": event.payload,
    }
    entry = canonical_json(body)
    if len(entry) <= MAX_ENTRY_BYTES:
        return entry
    del body["payload"]
    body["payload_sha256"] = sha256_hex(canonical_json(event.payload))
    return canonical_json(body)


@dataclass(frozen=True)
class LeafedEvent:
    """A stored event with its leaf's entry and leaf hash as the log holds them (None: absent)."""

    event: StoredEvent
    entry: bytes | None
    hash: bytes | None


async def load_with_leaves(
    conn: AsyncConnection, session_id: str, *, after: int = 0
) -> list[LeafedEvent]:
    """The events after `after`, each joined to its log entry and leaf hash (one statement)."""
    rows = await conn.execute(
        select(session_events, log_entries.c.data, log_hashes.c.hash)
        .outerjoin(log_entries, log_entries.c.idx == session_events.c.leaf)
        .outerjoin(
            log_hashes,
            and_(log_hashes.c.level == 0, log_hashes.c.idx == session_events.c.leaf),
        )
        .where(session_events.c.session_id == session_id, session_events.c.seq > after)
        .order_by(session_events.c.seq)
    )
    return [
        LeafedEvent(
            StoredEvent(
                row.session_id,
                row.seq,
                row.kind,
                row.at,
                _payload(row.payload),
                None if row.leaf is None else int(row.leaf),
            ),
            None if row.data is None else bytes(row.data),
            None if row.hash is None else bytes(row.hash),
        )
        for row in rows
    ]


def _payload(text: str) -> dict[str, Any]:
    """A stored payload; one that is not JSON any more (edited on disk) is kept as its text,
    so that it fails its leaf like any other edit instead of stopping whoever reads it."""
    try:
        payload = json.loads(text)
    except ValueError:
        return {"unreadable_stored_payload": text}
    return payload if isinstance(payload, dict) else {"unreadable_stored_payload": text}


def leaf_problem(events: Sequence[LeafedEvent], *, after: int = 0) -> str | None:
    """Why these events (seq after+1, after+2, …) do not match the log, or None if they do."""
    expected = after + 1
    for found in events:
        event = found.event
        if event.seq != expected:
            return f"expected seq {expected}, found {event.seq}"
        if event.leaf is None:
            return f"seq {event.seq} names no leaf of the public log"
        if found.entry is None or found.hash is None:
            return f"seq {event.seq}: its leaf {event.leaf} is not in the public log"
        if event_entry(event) != found.entry:
            return f"seq {event.seq}: content does not match its leaf {event.leaf}"
        if leaf_hash(found.entry) != found.hash:
            return f"seq {event.seq}: leaf {event.leaf} does not match the log's hash of it"
        expected += 1
    return None


async def unnamed_event_leaves(
    conn: AsyncConnection, session_id: str | None = None
) -> dict[str, str]:
    """Sessions whose log entries include an event that no stored event names, and why.

    One statement, so a commit on another node (its events and entries together) is seen
    whole or not at all. Bid entries are named by no event and are passed over.
    """
    query = (
        select(log_entries.c.idx, log_entries.c.session_id, log_entries.c.data)
        .outerjoin(session_events, session_events.c.leaf == log_entries.c.idx)
        .where(log_entries.c.session_id.is_not(None), session_events.c.leaf.is_(None))
        .order_by(log_entries.c.idx)
    )
    if session_id is not None:
        query = query.where(log_entries.c.session_id == session_id)
    found: dict[str, str] = {}
    for row in await conn.execute(query):
        body = json.loads(bytes(row.data))
        if body.get("type") == "event":
            found[str(row.session_id)] = (
                f"the public log's leaf {row.idx} is seq {body.get('seq')} of the session, "
                "which the database no longer holds"
            )
    return found


async def document_leaves(conn: AsyncConnection, session_id: str) -> tuple[list[int], list[int]]:
    """The leaves a record or result built now names: each stored event's, in seq order, and
    each bid entry's of the deadline batch, in log order (inside the caller's transaction)."""
    events = await conn.execute(
        select(session_events.c.leaf)
        .where(session_events.c.session_id == session_id)
        .order_by(session_events.c.seq)
    )
    entries = await conn.execute(
        select(log_entries.c.idx, log_entries.c.data)
        .where(log_entries.c.session_id == session_id)
        .order_by(log_entries.c.idx)
    )
    bids = [int(row.idx) for row in entries if json.loads(bytes(row.data)).get("type") == "bid"]
    return [int(row.leaf) for row in events if row.leaf is not None], bids
