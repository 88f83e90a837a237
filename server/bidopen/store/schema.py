"""The hub's tables (SQLAlchemy Core); the same schema serves SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeDecorator

from bidopen.clock import iso, parse_iso


class Instant(TypeDecorator[datetime]):
    """An aware UTC instant stored as fixed-width ISO text: it sorts and hashes alike anywhere."""

    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else iso(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else parse_iso(str(value))


metadata = MetaData()

# The trading centres and tender agencies whose hosts run tenders. `name_key` folds names
# that look alike (bidopen.session.text.look_alike_key), so two cannot be told apart by eye.
organisations = Table(
    "organisations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, unique=True),
    Column("created_at", Instant, nullable=False),
)

# Every host and tender of a database from before organisations joined the default one.
DEFAULT_ORGANISATION_NAME = "默认机构 Default organisation"

hosts = Table(
    "hosts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("organisation_id", String(32), ForeignKey("organisations.id"), nullable=False),
    Column("disabled_at", Instant),
)

# Only the SHA-256 of a bearer token is kept: a copy of the database lets no one sign in.
tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=False),
    Column("revoked_at", Instant),
)

bidders = Table(
    "bidders",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("org_name", String(200), nullable=False),
    Column("contact", String(200), nullable=False),
    Column("encryption_key", String(100), nullable=False),
    Column("signing_key", String(100), nullable=False),
    Column("key_id", String(64), nullable=False, unique=True),
    Column("created_at", Instant, nullable=False),
    # look_alike_key(org_name): a name that looks like another's but differs is refused.
    Column("name_key", String(200), nullable=False, index=True),
)

challenges = Table(
    "challenges",
    metadata,
    Column("challenge", String(64), primary_key=True),
    Column("bidder_id", String(32), ForeignKey("bidders.id"), nullable=False),
    Column("expires_at", Instant, nullable=False),
    Column("used_at", Instant),
)

# The origin each challenge was issued for; the login verifies the signature against it.
# A table of its own, not a column of `challenges`: a database made before it gains it at
# start (creating the schema adds missing tables, never columns).
challenge_audiences = Table(
    "challenge_audiences",
    metadata,
    Column("challenge", String(64), ForeignKey("challenges.challenge"), primary_key=True),
    Column("audience", String(300), nullable=False),
)

# Sequences that must never reuse a number (tender codes, receipt numbers) live here and
# are advanced inside the transaction that uses the number.
counters = Table(
    "counters",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

tenders = Table(
    "tenders",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("deadline", Instant, nullable=False),
    Column("spec", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", Instant, nullable=False),
    # The organisation of the host who created it; every host-scope action checks it.
    Column("organisation_id", String(32), ForeignKey("organisations.id"), nullable=False),
)

lots = Table(
    "lots",
    metadata,
    Column("tender_id", String(32), ForeignKey("tenders.id"), nullable=False),
    Column("lot_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("tender_id", "lot_id"),
)

# Every sealed file ever accepted; a replacement or withdrawal ends a row, never deletes it.
bids = Table(
    "bids",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tender_id", String(32), ForeignKey("tenders.id"), nullable=False),
    Column("lot_id", String(64), nullable=False),
    Column("bidder_id", String(32), ForeignKey("bidders.id"), nullable=False),
    Column("bid_sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("file_path", String(500), nullable=False),
    Column("received_at", Instant, nullable=False),
    Column("receipt_no", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("ended_at", Instant),
    # What one bidder stored in one tender: the quota check reads it under the tender's lock.
    Index("bids_by_tender_bidder", "tender_id", "bidder_id"),
    Index(
        "one_current_bid",
        "tender_id",
        "lot_id",
        "bidder_id",
        unique=True,
        sqlite_where=text("status = 'current'"),
        postgresql_where=text("status = 'current'"),
    ),
)

# Signed documents the server issued: receipts, withdrawals, records, results.
documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tender_id", String(32), nullable=False),
    Column("type", String(32), nullable=False),
    Column("owner", String(32)),
    Column("ref", String(64)),
    Column("body", Text, nullable=False),
    Column("created_at", Instant, nullable=False),
    Index("documents_by_tender", "tender_id", "type"),
)

# Sign-ins before the deadline stay here until the deadline tick lists them in the log.
signins = Table(
    "signins",
    metadata,
    Column("tender_id", String(32), ForeignKey("tenders.id"), nullable=False),
    Column("bidder_id", String(32), ForeignKey("bidders.id"), nullable=False),
    Column("signed_in_at", Instant, nullable=False),
    PrimaryKeyConstraint("tender_id", "bidder_id"),
)

# What a verified data key revealed; only the read-out makes it public.
opened_summaries = Table(
    "opened_summaries",
    metadata,
    Column("tender_id", String(32), ForeignKey("tenders.id"), nullable=False),
    Column("lot_id", String(64), nullable=False),
    Column("bidder_id", String(32), ForeignKey("bidders.id"), nullable=False),
    Column("bid_sha256", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("opened_at", Instant, nullable=False),
    PrimaryKeyConstraint("tender_id", "lot_id", "bidder_id"),
)

# The data key of each opened bid, wrapped under the platform's archive key (never in the
# clear), so the evaluation committee can read the bid document after the read-out.
opened_documents = Table(
    "opened_documents",
    metadata,
    Column("tender_id", String(32), ForeignKey("tenders.id"), nullable=False),
    Column("lot_id", String(64), nullable=False),
    Column("bidder_id", String(32), ForeignKey("bidders.id"), nullable=False),
    Column("bid_sha256", String(64), nullable=False),
    Column("wrapped_key", String(100), nullable=False),
    Column("archive_key_id", String(16), nullable=False),
    Column("document_size", BigInteger, nullable=False),
    Column("document_sha256", String(64), nullable=False),
    Column("document_name", String(300), nullable=False),
    Column("opened_at", Instant, nullable=False),
    PrimaryKeyConstraint("tender_id", "lot_id", "bidder_id"),
)

# Who read which opened bid document, when: appended to, never changed.
document_reads = Table(
    "document_reads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tender_id", String(32), ForeignKey("tenders.id"), nullable=False),
    Column("lot_id", String(64), nullable=False),
    Column("bidder_id", String(32), nullable=False),
    Column("bid_sha256", String(64), nullable=False),
    Column("reader_role", String(16), nullable=False),
    Column("reader_id", String(64), nullable=False),
    Column("read_at", Instant, nullable=False),
    Index("document_reads_by_tender", "tender_id", "id"),
)

rehearsals = Table(
    "rehearsals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("bidder_id", String(32), ForeignKey("bidders.id"), nullable=False),
    Column("key_sha256", String(64), nullable=False),
    Column("expires_at", Instant, nullable=False),
    Column("passed_at", Instant),
)

# The log of every session: (session_id, seq) is the primary key, so two nodes appending the
# same seq collide and one retries. `leaf` is the event's entry in the public log (log_entries),
# appended in the same transaction; the log is what proves the event unchanged.
session_events = Table(
    "session_events",
    metadata,
    Column("session_id", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("at", String(27), nullable=False),
    Column("payload", Text, nullable=False),
    Column("leaf", BigInteger),
    PrimaryKeyConstraint("session_id", "seq"),
    Index("session_events_by_leaf", "leaf", unique=True),
)

# The hash chain that releases before the public log kept per session (docs/protocol.md 5.4),
# moved here unchanged by the schema upgrade to version 5: readable, no longer written.
event_chain_hashes = Table(
    "event_chain_hashes",
    metadata,
    Column("session_id", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("session_id", "seq"),
)

# Each hub process writes its last sign of life here; after a restart the gap since the
# newest heartbeat is the time the platform was down.
node_heartbeats = Table(
    "node_heartbeats",
    metadata,
    Column("node_id", String(64), primary_key=True),
    Column("started_at", Instant, nullable=False),
    Column("last_seen", Instant, nullable=False),
)

# The public log (bidopen.tlog, docs/transparency-log.md). Entries are numbered from 0 with
# no gap; the tile hashes of level L (the roots of 256**L leaves each) are kept as they
# complete; the head row is the one writer's compare-and-swap; every signed checkpoint stays.
log_entries = Table(
    "log_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
    Column("appended_at", Instant, nullable=False),
    # The opening the entry is about (its bundle lists them); none for other entries.
    Column("session_id", String(32), index=True),
)

log_hashes = Table(
    "log_hashes",
    metadata,
    Column("level", Integer, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    PrimaryKeyConstraint("level", "idx"),
)

log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
)

log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),
    Column("signed_at", Instant, nullable=False),
)

# Which version of these tables the database holds, in its one row, and the bidopen release
# that set it; checked and upgraded at every start (bidopen.store.migrations).
schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
    Column("written_by", String(64), nullable=False),
)
