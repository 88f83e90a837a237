"""Decryption rehearsals: the server keeps only the hash of the random key it wrapped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.schema import rehearsals


async def add_rehearsal(
    conn: AsyncConnection, rehearsal_id: str, bidder_id: str, key_sha256: str, expires_at: datetime
) -> None:
    await conn.execute(
        insert(rehearsals).values(
            id=rehearsal_id, bidder_id=bidder_id, key_sha256=key_sha256, expires_at=expires_at
        )
    )


async def pass_rehearsal(
    conn: AsyncConnection, rehearsal_id: str, bidder_id: str, key_sha256: str, now: datetime
) -> bool:
    """Mark the rehearsal passed if the returned key matches; each rehearsal passes once."""
    result = await conn.execute(
        update(rehearsals)
        .where(
            rehearsals.c.id == rehearsal_id,
            rehearsals.c.bidder_id == bidder_id,
            rehearsals.c.key_sha256 == key_sha256,
            rehearsals.c.passed_at.is_(None),
            rehearsals.c.expires_at > now,
        )
        .values(passed_at=now)
    )
    return result.rowcount == 1
