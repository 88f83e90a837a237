"""Never-reused sequences (tender codes, receipt numbers), advanced in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.schema import counters


async def next_value(conn: AsyncConnection, name: str) -> int:
    """Advance the counter `name` (starting at 1) and return its new value.

    One upsert statement: the row lock it takes makes concurrent callers queue, and a
    rolled-back transaction takes its increment with it, so numbers are gap-free per commit.
    """
    insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    upsert = (
        insert(counters)
        .values(name=name, value=1)
        .on_conflict_do_update(
            index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
        )
    )
    result = await conn.execute(upsert.returning(counters.c.value))
    return int(result.scalar_one())
