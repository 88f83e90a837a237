"""The schema version on SQLite and PostgreSQL: stamped, upgraded in order, refused when too new."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schema_v1
from sqlalchemy import Connection, insert, inspect, select, text, update

from bidopen.session.text import look_alike_key
from bidopen.session.values import DEFAULT_ORGANISATION
from bidopen.store.db import Database
from bidopen.store.migrations import (
    SCHEMA_VERSION,
    UPGRADES,
    SchemaTooNew,
    UpgradeFailed,
    UpgradeStep,
    prepare_schema,
    release,
)
from bidopen.store.schema import (
    bidders,
    challenge_audiences,
    counters,
    hosts,
    metadata,
    organisations,
    schema_version,
    tenders,
)
from hubprocess import free_port

EVERY_TABLE = set(metadata.tables)
COUNTER = "tender:2026"


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, empty database (its own SQLite file or PostgreSQL database, dropped after)."""
    (tmp_path / "data").mkdir(exist_ok=True)
    database = Database(database_url)
    yield database
    await database.close()


async def stamps(db: Database) -> list[tuple[int, str]]:
    async with db.read() as conn:
        rows = await conn.execute(select(schema_version.c.version, schema_version.c.written_by))
        return [(row.version, row.written_by) for row in rows]


async def table_names(db: Database) -> set[str]:
    async with db.read() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def counter_value(db: Database) -> int:
    async with db.read() as conn:
        result = await conn.execute(select(counters.c.value).where(counters.c.name == COUNTER))
        return int(result.scalar_one())


async def make_unversioned(db: Database) -> None:
    """A database as releases before the version table left it, one table short, with data."""
    old = schema_v1.metadata
    left_out = (old.tables["schema_version"], old.tables["challenge_audiences"])
    older = [t for t in old.sorted_tables if t not in left_out]
    async with db.write() as conn:
        await conn.run_sync(lambda sync: old.create_all(sync, tables=older))
        await conn.execute(insert(counters).values(name=COUNTER, value=41))


async def prepare(db: Database, steps: Mapping[int, UpgradeStep], target: int) -> None:
    """`Database.create_schema` with the test's registry: the same write transaction."""
    async with db.write() as conn:
        await conn.run_sync(prepare_schema, steps, target)


def test_the_registry_has_one_step_into_each_version() -> None:
    assert sorted(UPGRADES) == list(range(1, SCHEMA_VERSION))


async def test_a_fresh_database_gets_every_table_and_the_current_version(db: Database) -> None:
    await db.create_schema()
    assert await table_names(db) == EVERY_TABLE
    assert await stamps(db) == [(SCHEMA_VERSION, release())]

    await db.create_schema()  # the next start
    assert await stamps(db) == [(SCHEMA_VERSION, release())]


async def test_a_database_from_before_versions_is_taken_as_1_and_keeps_its_data(
    db: Database,
) -> None:
    await make_unversioned(db)
    assert challenge_audiences.name not in await table_names(db)

    await db.create_schema()

    assert await stamps(db) == [(SCHEMA_VERSION, release())]  # 1, then upgraded
    assert await table_names(db) == EVERY_TABLE  # missing tables are created, as before
    assert await counter_value(db) == 41


async def test_version_1_gains_the_index_of_bids_by_tender_and_bidder(db: Database) -> None:
    def indexes(sync: Connection) -> set[str]:
        return {str(index["name"]) for index in inspect(sync).get_indexes("bids")}

    await db.create_schema()
    async with db.write() as conn:
        await conn.execute(text("DROP INDEX bids_by_tender_bidder"))
        await conn.execute(update(schema_version).values(version=1))
        assert "bids_by_tender_bidder" not in await conn.run_sync(indexes)

    await db.create_schema()

    assert await stamps(db) == [(SCHEMA_VERSION, release())]
    async with db.write() as conn:
        assert "bids_by_tender_bidder" in await conn.run_sync(indexes)


async def test_version_1_hosts_and_tenders_join_the_default_organisation(db: Database) -> None:
    """Upgrading from 1: every host and tender already stored belongs to the default one."""
    at = datetime(2026, 12, 1, 8, tzinfo=UTC)
    async with db.write() as conn:
        await conn.run_sync(schema_v1.metadata.create_all)
        await conn.execute(insert(schema_v1.schema_version).values(version=1, written_by="0.1"))
        await conn.execute(
            insert(schema_v1.hosts).values(username="old-host", password_hash="x", created_at=at)
        )
        await conn.execute(
            insert(schema_v1.tenders).values(
                id="ZB-2026-000001",
                title="旧项目",
                deadline=at,
                spec="{}",
                created_by="old-host",
                created_at=at,
            )
        )
        await conn.execute(
            insert(schema_v1.bidders).values(
                id="BD0123456789",
                org_name="Ｈｕａｘｉａ 建设",
                contact="c",
                encryption_key="e",
                signing_key="s",
                key_id="k",
                created_at=at,
            )
        )

    await db.create_schema()

    async with db.read() as conn:
        orgs = (await conn.execute(select(organisations.c.id))).scalars().all()
        host_org = (await conn.execute(select(hosts.c.organisation_id))).scalar_one()
        tender_org = (await conn.execute(select(tenders.c.organisation_id))).scalar_one()
        key = (await conn.execute(select(bidders.c.name_key))).scalar_one()
    assert orgs == [DEFAULT_ORGANISATION]
    assert host_org == tender_org == DEFAULT_ORGANISATION
    assert key == look_alike_key("Ｈｕａｘｉａ 建设") == "huaxia建设"
    assert await stamps(db) == [(SCHEMA_VERSION, release())]


async def test_a_newer_schema_is_refused_and_nothing_changes(db: Database) -> None:
    await db.create_schema()
    async with db.write() as conn:
        await conn.execute(update(schema_version).values(version=SCHEMA_VERSION + 1))
        await conn.execute(update(schema_version).values(written_by="9.4.0"))
        await conn.execute(insert(counters).values(name=COUNTER, value=41))
        await conn.execute(text(f"DROP TABLE {challenge_audiences.name}"))
    tables_before = await table_names(db)

    with pytest.raises(SchemaTooNew) as refusal:
        await db.create_schema()

    message = str(refusal.value)
    assert f"schema version {SCHEMA_VERSION + 1}, written by bidopen 9.4.0" in message
    assert f"knows schema version {SCHEMA_VERSION} at most" in message
    assert "Run bidopen 9.4.0 or newer, or restore the backup" in message
    assert await stamps(db) == [(SCHEMA_VERSION + 1, "9.4.0")]
    assert await table_names(db) == tables_before
    assert await counter_value(db) == 41


async def test_version_3_gets_the_public_log_tables(db: Database) -> None:
    log_tables = {"log_entries", "log_hashes", "log_head", "log_checkpoints"}
    version_3 = [t for t in metadata.sorted_tables if t.name not in log_tables]
    async with db.write() as conn:
        await conn.run_sync(lambda sync: metadata.create_all(sync, tables=version_3))
        await conn.execute(insert(schema_version).values(version=3, written_by="0.1.0"))
        await conn.execute(insert(counters).values(name=COUNTER, value=41))
    assert not log_tables & await table_names(db)

    await db.create_schema()

    assert await stamps(db) == [(SCHEMA_VERSION, release())]
    assert await table_names(db) == EVERY_TABLE
    assert await counter_value(db) == 41


def add_lot_notes(conn: Connection) -> None:
    conn.execute(text("CREATE TABLE lot_notes (tender_id VARCHAR(32) NOT NULL, note TEXT)"))


def add_note_author(conn: Connection) -> None:
    # Fails unless add_lot_notes ran first.
    conn.execute(text("ALTER TABLE lot_notes ADD COLUMN author VARCHAR(64)"))


def add_column_to_missing_table(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE no_such_table ADD COLUMN author VARCHAR(64)"))


def recording(ran: list[str], step: UpgradeStep) -> UpgradeStep:
    def recorded(conn: Connection) -> None:
        ran.append(step.__name__)
        step(conn)

    recorded.__name__ = step.__name__
    return recorded


@pytest.mark.parametrize("stored", ["version 1", "no version row"])
async def test_upgrade_steps_run_in_order_up_to_the_target(db: Database, stored: str) -> None:
    if stored == "version 1":
        await prepare(db, {}, target=1)
        async with db.write() as conn:
            await conn.execute(insert(counters).values(name=COUNTER, value=41))
    else:
        await make_unversioned(db)
    ran: list[str] = []
    steps = {1: recording(ran, add_lot_notes), 2: recording(ran, add_note_author)}

    await prepare(db, steps, target=3)

    assert ran == ["add_lot_notes", "add_note_author"]
    assert await stamps(db) == [(3, release())]
    async with db.read() as conn:
        columns = await conn.run_sync(lambda sync: inspect(sync).get_columns("lot_notes"))
    assert [column["name"] for column in columns] == ["tender_id", "note", "author"]
    assert await counter_value(db) == 41
    assert await table_names(db) == EVERY_TABLE | {"lot_notes"}

    await prepare(db, steps, target=3)  # the next start: nothing left to run
    assert ran == ["add_lot_notes", "add_note_author"]


async def test_a_failing_step_rolls_the_whole_upgrade_back(db: Database) -> None:
    await prepare(db, {}, target=1)
    async with db.write() as conn:
        await conn.execute(insert(counters).values(name=COUNTER, value=41))
    steps = {1: add_lot_notes, 2: add_column_to_missing_table}

    with pytest.raises(UpgradeFailed) as failure:
        await prepare(db, steps, target=3)

    message = str(failure.value)
    assert "schema upgrade step 2 -> 3 (add_column_to_missing_table) failed" in message
    assert "no_such_table" in message
    assert await stamps(db) == [(1, release())]
    assert "lot_notes" not in await table_names(db)
    assert await counter_value(db) == 41


async def test_nodes_starting_at_once_prepare_one_after_another(
    db: Database, database_url: str
) -> None:
    if db.is_sqlite:
        # An SQLite file belongs to one hub process (the embedded, single-node store): a
        # second engine's first connection switches the journal to WAL and may find the file
        # locked by the first, which is not a case the hub meets.
        pytest.skip("several nodes share a database only on PostgreSQL")
    other_node = Database(database_url)
    try:
        await asyncio.gather(db.create_schema(), other_node.create_schema())
    finally:
        await other_node.close()
    assert await stamps(db) == [(SCHEMA_VERSION, release())]
    assert await table_names(db) == EVERY_TABLE


async def test_serve_refuses_a_newer_schema_with_one_line(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    await db.create_schema()
    async with db.write() as conn:
        await conn.execute(update(schema_version).values(version=SCHEMA_VERSION + 1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIDOPEN_")}
    command = [sys.executable, "-m", "bidopen", "serve", "--data-dir", str(tmp_path / "data")]
    command += ["--port", str(free_port()), "--database-url", database_url]

    done = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=30
    )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        f"bidopen serve: the database holds schema version {SCHEMA_VERSION + 1}"
    )
    assert "restore the backup" in last_line
    # The addresses are told only once the hub listens, which a refused hub never does.
    assert "bidopen hub on" not in done.stdout
    assert await stamps(db) == [(SCHEMA_VERSION + 1, release())]
