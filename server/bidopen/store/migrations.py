"""The schema's version: stamped in the database, checked at every start, upgraded step by step."""

from __future__ import annotations

import importlib.metadata
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from itertools import groupby

from sqlalchemy import Connection, bindparam, delete, insert, inspect, select, text, update

from bidopen.errors import StartRefused
from bidopen.session.text import look_alike_key
from bidopen.session.values import DEFAULT_ORGANISATION
from bidopen.store.schema import (
    DEFAULT_ORGANISATION_NAME,
    bidders,
    bids,
    event_chain_hashes,
    log_checkpoints,
    log_entries,
    log_hashes,
    log_head,
    metadata,
    organisations,
    schema_version,
    session_events,
)

log = logging.getLogger("bidopen.store.migrations")

# The version of the tables in bidopen.store.schema. To change a table: raise this by one,
# add the step from the previous version to UPGRADES, and test the step on both databases.
SCHEMA_VERSION = 5

UpgradeStep = Callable[[Connection], None]


def organisations_and_name_keys(conn: Connection) -> None:
    """2 -> 3: hosts and tenders belong to an organisation; bidders' names get look-alike keys.

    Every host and tender already stored joins the default organisation, which the
    operator renames (`bidopen admin org rename default …`) or moves hosts out of. What
    already exists is left as it is, so the step also completes a half-made schema.
    """
    organisations.create(conn, checkfirst=True)
    if (
        conn.execute(
            select(organisations.c.id).where(organisations.c.id == DEFAULT_ORGANISATION)
        ).first()
        is None
    ):
        conn.execute(
            insert(organisations).values(
                id=DEFAULT_ORGANISATION,
                name=DEFAULT_ORGANISATION_NAME,
                name_key=look_alike_key(DEFAULT_ORGANISATION_NAME),
                created_at=datetime.now(UTC),
            )
        )
    default = f"'{DEFAULT_ORGANISATION}'"
    for table, column, kind in (
        ("hosts", "organisation_id", f"VARCHAR(32) NOT NULL DEFAULT {default}"),
        ("hosts", "disabled_at", "VARCHAR(27)"),
        ("tenders", "organisation_id", f"VARCHAR(32) NOT NULL DEFAULT {default}"),
        ("bidders", "name_key", "VARCHAR(200) NOT NULL DEFAULT ''"),
    ):
        if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
    for row in conn.execute(select(bidders.c.id, bidders.c.org_name)).all():
        conn.execute(
            update(bidders)
            .where(bidders.c.id == row.id)
            .values(name_key=look_alike_key(row.org_name))
        )
    for index in bidders.indexes:
        index.create(conn, checkfirst=True)


# UPGRADES[n] carries a database of schema version n to version n + 1. At start the steps
# from the stored version up run in order, in one transaction with the stamp of the new
# version; then every table of the current schema that is still missing is created. So a
# step changes what exists (adds a column, moves data); a table that is only new needs none.
def index_bids_by_tender_and_bidder(conn: Connection) -> None:
    """1 -> 2: the per-bidder quota reads a bidder's files in a tender on every upload."""
    for index in bids.indexes:
        if index.name == "bids_by_tender_bidder":
            index.create(conn, checkfirst=True)


def add_public_log(conn: Connection) -> None:
    """3 -> 4: the tables of the public log (entries, tile hashes, head, checkpoints)."""
    for table in (log_entries, log_hashes, log_head, log_checkpoints):
        table.create(conn, checkfirst=True)


def events_become_log_leaves(conn: Connection) -> None:
    """4 -> 5: each session event names its leaf in the public log; the hash chain goes.

    The chain's hashes move unchanged to `event_chain_hashes` (readable, no longer written);
    the events themselves are not rewritten. An event already in the log gets the index of
    its entry; one stored before the log existed is appended to it now, in (session, seq)
    order, so that every event is a leaf and the log proves them all from here on.
    """
    columns = {c["name"] for c in inspect(conn).get_columns("session_events")}
    event_chain_hashes.create(conn, checkfirst=True)
    if "hash" in columns:
        conn.execute(
            text(
                "INSERT INTO event_chain_hashes (session_id, seq, prev_hash, hash) "
                "SELECT session_id, seq, prev_hash, hash FROM session_events"
            )
        )
        for column in ("prev_hash", "hash"):
            conn.execute(text(f"ALTER TABLE session_events DROP COLUMN {column}"))
    if "leaf" not in columns:
        conn.execute(text("ALTER TABLE session_events ADD COLUMN leaf BIGINT"))
    _name_the_leaves(conn)
    for index in session_events.indexes:
        index.create(conn, checkfirst=True)


def _name_the_leaves(conn: Connection) -> None:
    # Imported here: the log's modules are not needed by the other steps.
    from bidopen.store import publiclog
    from bidopen.store.event_leaves import event_entry
    from bidopen.store.eventlog import StoredEvent

    named = []
    for row in conn.execute(
        select(log_entries.c.idx, log_entries.c.data).where(log_entries.c.session_id.is_not(None))
    ):
        body = json.loads(bytes(row.data))
        if body.get("type") == "event":
            named.append({"s": body["session"], "q": body["seq"], "new_leaf": row.idx})
    if named:
        conn.execute(
            update(session_events)
            .where(
                session_events.c.session_id == bindparam("s"),
                session_events.c.seq == bindparam("q"),
            )
            .values(leaf=bindparam("new_leaf")),
            named,
        )
    unlogged = conn.execute(
        select(session_events)
        .where(session_events.c.leaf.is_(None))
        .order_by(session_events.c.session_id, session_events.c.seq)
    ).all()
    now = datetime.now(UTC)
    for session_id, rows in groupby(unlogged, key=lambda r: str(r.session_id)):
        events = [
            StoredEvent(r.session_id, r.seq, r.kind, r.at, json.loads(r.payload)) for r in rows
        ]
        head, _edge = publiclog.append(conn, [event_entry(e) for e in events], now, session_id)
        first = head.size - len(events)
        conn.execute(
            update(session_events)
            .where(
                session_events.c.session_id == bindparam("s"),
                session_events.c.seq == bindparam("q"),
            )
            .values(leaf=bindparam("new_leaf")),
            [{"s": e.session_id, "q": e.seq, "new_leaf": first + n} for n, e in enumerate(events)],
        )


UPGRADES: Mapping[int, UpgradeStep] = {
    1: index_bids_by_tender_and_bidder,
    2: organisations_and_name_keys,
    3: add_public_log,
    4: events_become_log_leaves,
}

# The key of the PostgreSQL advisory lock that queues nodes starting at once: the ASCII of
# "bidopen1" read as a 64-bit number, which no other user of the database is likely to pick.
_SCHEMA_LOCK = 0x6269646F70656E31


class SchemaError(StartRefused):
    """The database cannot be brought to this release's schema, so the hub must not start."""


class SchemaTooNew(SchemaError):
    """The database was written by a newer bidopen (a rollback); this one must not touch it."""

    def __init__(self, found: int, written_by: str, supported: int) -> None:
        super().__init__(
            f"the database holds schema version {found}, written by bidopen {written_by}; "
            f"this bidopen {release()} knows schema version {supported} at most and has "
            f"left it unchanged. Run bidopen {written_by} or newer, or restore the backup "
            "made before the upgrade."
        )


class UpgradeFailed(SchemaError):
    """An upgrade step raised; its transaction rolled back, so the database is as it was."""

    def __init__(self, from_version: int, step: UpgradeStep, cause: Exception) -> None:
        super().__init__(
            f"schema upgrade step {from_version} -> {from_version + 1} ({step.__name__}) "
            f"failed: {cause}. The database is unchanged."
        )


def release() -> str:
    """This bidopen's version as installed ("unknown" when run from a source tree)."""
    try:
        return importlib.metadata.version("bidopen")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def prepare_schema(
    conn: Connection, steps: Mapping[int, UpgradeStep] = UPGRADES, target: int = SCHEMA_VERSION
) -> None:
    """Bring the database to schema version `target` in the caller's transaction, or refuse.

    The caller commits or rolls back, so a refusal or a failed step leaves nothing behind.
    The transaction must be the only one preparing: on PostgreSQL the advisory lock taken
    here queues the others until it ends; on SQLite the caller's BEGIN IMMEDIATE does.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
    tables = set(inspect(conn).get_table_names())
    stamp = None
    if schema_version.name in tables:
        stamp = conn.execute(select(schema_version.c.version, schema_version.c.written_by)).first()
    if stamp is not None:
        found = stamp.version
        if found > target:
            raise SchemaTooNew(found, stamp.written_by, target)
    elif tables & set(metadata.tables):
        found = 1  # the tables of a release from before versions were stored
    else:
        found = target  # an empty database gets the current tables
    for version in range(found, target):
        step = steps[version]
        try:
            step(conn)
        except Exception as exc:
            raise UpgradeFailed(version, step, exc) from exc
    metadata.create_all(conn)
    if stamp is None or found != target:
        conn.execute(delete(schema_version))
        conn.execute(insert(schema_version).values(version=target, written_by=release()))
        was = "none stored" if stamp is None else f"version {found}"
        log.info("database schema stamped version %d (%s before)", target, was)
