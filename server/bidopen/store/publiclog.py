"""The public log's rows: entries, tile hashes, the head and signed checkpoints (one writer).

Every function takes a synchronous connection inside the caller's transaction (the service
runs them through `AsyncConnection.run_sync`), so the proofs of `bidopen.tlog` can read
tiles as they go.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, insert, select, text, update

from bidopen.store.schema import log_checkpoints, log_entries, log_hashes, log_head
from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import EMPTY_ROOT, SubtreeHashes, leaf_hash, root_at
from bidopen.tlog.tiles import TILE_WIDTH, TileReader, TreeEdge, subtree_hashes

# The PostgreSQL advisory lock of the log's one writer: ASCII "bidopenL" as a 64-bit number.
_LOG_LOCK = 0x6269646F70656E4C
_HEAD_ID = 1


class LogHead(NamedTuple):
    size: int
    root: bytes


class StoredCheckpoint(NamedTuple):
    size: int
    note: bytes
    signed_at: datetime


class HeadMoved(Exception):
    """Another writer changed the head between our read and our write (never with the lock)."""


def lock(conn: Connection) -> LogHead:
    """Become the log's one writer until the transaction ends, and read the head.

    PostgreSQL: a transaction-scoped advisory lock, then the head row FOR UPDATE. SQLite:
    the caller's BEGIN IMMEDIATE already holds the database's one write lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_LOCK})
    row = conn.execute(
        select(log_head.c.size, log_head.c.root).where(log_head.c.id == _HEAD_ID).with_for_update()
    ).first()
    if row is None:
        conn.execute(insert(log_head).values(id=_HEAD_ID, size=0, root=EMPTY_ROOT))
        return LogHead(0, EMPTY_ROOT)
    return LogHead(int(row.size), bytes(row.root))


def read_head(conn: Connection) -> LogHead:
    row = conn.execute(
        select(log_head.c.size, log_head.c.root).where(log_head.c.id == _HEAD_ID)
    ).first()
    return LogHead(0, EMPTY_ROOT) if row is None else LogHead(int(row.size), bytes(row.root))


def tile_reader(conn: Connection) -> TileReader:
    def read(level: int, index: int) -> list[bytes]:
        rows = conn.execute(
            select(log_hashes.c.hash)
            .where(
                log_hashes.c.level == level,
                log_hashes.c.idx >= index * TILE_WIDTH,
                log_hashes.c.idx < (index + 1) * TILE_WIDTH,
            )
            .order_by(log_hashes.c.idx)
        )
        return [bytes(r.hash) for r in rows]

    return read


def subtrees(conn: Connection) -> SubtreeHashes:
    return subtree_hashes(tile_reader(conn))


def append(
    conn: Connection,
    entries: Sequence[bytes],
    now: datetime,
    session_id: str | None = None,
    known: LogHead | None = None,
    edge: TreeEdge | None = None,
) -> tuple[LogHead, TreeEdge]:
    """Append `entries` under the writer's lock: the new head (its size minus the number of
    entries is the first one's index) and the new right edge of the tree.

    `edge` is the caller's copy of the right edge of the tree `known`; it is used only if
    that is still the head (same size and root: the same tree), else read again. An edge
    kept from an append that rolled back never matches a head.
    """
    head = lock(conn)
    if edge is None or known != head:
        edge = TreeEdge.load(head.size, tile_reader(conn))
    if not entries:
        return head, edge
    edge, rows = edge.extend([leaf_hash(e) for e in entries])
    conn.execute(
        insert(log_entries),
        [
            {"idx": head.size + i, "data": e, "appended_at": now, "session_id": session_id}
            for i, e in enumerate(entries)
        ],
    )
    conn.execute(insert(log_hashes), [{"level": lv, "idx": i, "hash": h} for lv, i, h in rows])
    size = head.size + len(entries)
    root = root_at(subtree_hashes(edge.read), size)
    done = conn.execute(
        update(log_head)
        .where(log_head.c.id == _HEAD_ID, log_head.c.size == head.size)
        .values(size=size, root=root)
    )
    if done.rowcount != 1:
        raise HeadMoved
    return LogHead(size, root), edge


def latest_checkpoint(conn: Connection) -> StoredCheckpoint | None:
    row = conn.execute(
        select(log_checkpoints).order_by(log_checkpoints.c.size.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return StoredCheckpoint(int(row.size), row.note.encode(), row.signed_at)


def recent_checkpoints(conn: Connection, limit: int) -> list[StoredCheckpoint]:
    """The newest `limit` checkpoints, newest first."""
    rows = conn.execute(
        select(log_checkpoints).order_by(log_checkpoints.c.size.desc()).limit(limit)
    )
    return [StoredCheckpoint(int(r.size), r.note.encode(), r.signed_at) for r in rows]


def checkpoint_at(conn: Connection, size: int) -> StoredCheckpoint | None:
    row = conn.execute(select(log_checkpoints).where(log_checkpoints.c.size == size)).first()
    return (
        None if row is None else StoredCheckpoint(int(row.size), row.note.encode(), row.signed_at)
    )


def save_checkpoint(conn: Connection, size: int, note: bytes, now: datetime) -> None:
    conn.execute(insert(log_checkpoints).values(size=size, note=note.decode(), signed_at=now))


def replace_checkpoint_note(conn: Connection, size: int, note: bytes) -> None:
    """The same checkpoint with more signatures (witnesses' cosignatures) added."""
    conn.execute(
        update(log_checkpoints).where(log_checkpoints.c.size == size).values(note=note.decode())
    )


def entries_between(conn: Connection, start: int, end: int) -> list[bytes]:
    rows = conn.execute(
        select(log_entries.c.data)
        .where(log_entries.c.idx >= start, log_entries.c.idx < end)
        .order_by(log_entries.c.idx)
    )
    found = [bytes(r.data) for r in rows]
    if len(found) != end - start:
        raise LogError(f"entries {start}..{end - 1} are not all stored")
    return found


def session_entries(conn: Connection, session_id: str, below: int) -> list[tuple[int, bytes]]:
    """(index, entry) of every entry about an opening, below index `below`, in log order."""
    rows = conn.execute(
        select(log_entries.c.idx, log_entries.c.data)
        .where(log_entries.c.session_id == session_id, log_entries.c.idx < below)
        .order_by(log_entries.c.idx)
    )
    return [(int(r.idx), bytes(r.data)) for r in rows]
