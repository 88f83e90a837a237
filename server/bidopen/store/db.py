"""The database engine: SQLite (WAL, synchronous=FULL) or PostgreSQL, and its transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bidopen.store.migrations import prepare_schema
from bidopen.store.schema import metadata

# Write transactions on SQLite take the write lock when they begin (BEGIN IMMEDIATE): a
# deferred transaction that reads and then writes fails with SQLITE_BUSY instead of waiting.
_WRITE_OPTION = "bidopen_write"


class Database:
    """One engine per process; `write()` and `read()` hand out a connection inside a transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # Statement parameters (names, ids) never go into an error message or a log line.
        kwargs: dict[str, Any] = {"hide_parameters": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 60}
            writers: dict[str, Any] = {"pool_size": 2, "max_overflow": 0}
        else:
            kwargs.update(pool_pre_ping=True)
            writers = {"pool_size": 5, "max_overflow": 5}
        # Reads and writes have pools of their own: a burst of reads (a hundred uploads
        # checking their tender at once) must not leave a command waiting for a connection.
        self.engine: AsyncEngine = create_async_engine(
            url, **kwargs, **({} if self.is_sqlite else {"pool_size": 10, "max_overflow": 20})
        )
        self._write_engine: AsyncEngine = create_async_engine(url, **kwargs, **writers)
        # SQLite has one writer at a time. Queuing writers here, in arrival order, beats
        # SQLite's busy handler, which polls with growing sleeps and under a burst (300
        # bidders confirming at once) can give up with "database is locked".
        self._sqlite_writer: asyncio.Lock | None = None
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            _configure_sqlite(self._write_engine)
            self._sqlite_writer = asyncio.Lock()

    async def create_schema(self) -> None:
        """Create, check or upgrade the schema at start (raises `SchemaError` to refuse).

        A write transaction: on SQLite its BEGIN IMMEDIATE makes processes starting at once
        prepare one after another, where deferred transactions would fail on the lock.
        """
        async with self.write() as conn:
            await conn.run_sync(prepare_schema)

    async def is_new(self) -> bool:
        """True when the database holds none of the hub's tables (a new or 0-byte file)."""
        async with self.engine.connect() as conn:
            names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        return not names & set(metadata.tables)

    async def close(self) -> None:
        await self.engine.dispose()
        await self._write_engine.dispose()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits when the block ends normally and rolls back otherwise."""
        if self._sqlite_writer is None:
            async with self._transaction() as conn:
                yield conn
            return
        async with self._sqlite_writer, self._transaction() as conn:
            yield conn

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._write_engine.connect() as conn:
            await conn.execution_options(**{_WRITE_OPTION: True})
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that `_on_begin` decides the mode.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE_OPTION) else "BEGIN"
        conn.exec_driver_sql(mode)


def is_unique_violation(exc: IntegrityError) -> bool:
    """True when an insert lost a race on a unique key (the caller may retry)."""
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text
