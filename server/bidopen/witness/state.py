"""The witness's memory: per log origin, the last tree head it cosigned (SQLite, one file)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class WitnessState:
    """Read the last head and store a new one in one IMMEDIATE transaction, so two requests
    can never both pass the check against the same old size (the race tlog-witness names)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS heads"
            " (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL)"
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def update(
        self,
        origin: str,
        decide: Callable[[tuple[int, bytes] | None], tuple[T, tuple[int, bytes] | None]],
    ) -> T:
        """Run `decide` on the stored head; store the head it returns (None: keep the old)."""
        with self._transaction() as db:
            row = db.execute("SELECT size, root FROM heads WHERE origin = ?", (origin,)).fetchone()
            result, new = decide(None if row is None else (int(row[0]), bytes(row[1])))
            if new is not None:
                db.execute(
                    "INSERT INTO heads (origin, size, root) VALUES (?, ?, ?) ON CONFLICT (origin)"
                    " DO UPDATE SET size = excluded.size, root = excluded.root",
                    (origin, new[0], new[1]),
                )
            return result

    def head(self, origin: str) -> tuple[int, bytes] | None:
        row = self._db.execute(
            "SELECT size, root FROM heads WHERE origin = ?", (origin,)
        ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def close(self) -> None:
        self._db.close()
