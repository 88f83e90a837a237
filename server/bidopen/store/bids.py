"""Sealed-bid rows (current and history), pre-deadline sign-ins, privately held summaries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.schema import bids, opened_summaries, signins

CURRENT = "current"
REPLACED = "replaced"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class BidRow:
    id: int
    tender_id: str
    lot_id: str
    bidder_id: str
    bid_sha256: str
    size: int
    file_path: str
    received_at: datetime
    status: str
    ended_at: datetime | None


def _bid(row: Row[Any]) -> BidRow:
    return BidRow(
        row.id,
        row.tender_id,
        row.lot_id,
        row.bidder_id,
        row.bid_sha256,
        row.size,
        row.file_path,
        row.received_at,
        row.status,
        row.ended_at,
    )


async def current_bid(
    conn: AsyncConnection, tender_id: str, lot_id: str, bidder_id: str
) -> BidRow | None:
    row = (
        await conn.execute(
            select(bids).where(
                bids.c.tender_id == tender_id,
                bids.c.lot_id == lot_id,
                bids.c.bidder_id == bidder_id,
                bids.c.status == CURRENT,
            )
        )
    ).first()
    return None if row is None else _bid(row)


@dataclass(frozen=True)
class StoredUse:
    """What one bidder has stored in one tender: every file ever accepted, kept ones included."""

    bytes: int
    files: int
    lots: int
    in_lot: bool  # a file was stored before in the lot of the upload at hand

    @property
    def replacements(self) -> int:
        """Files beyond the first of each lot: each one replaced (or followed) an earlier file."""
        return self.files - self.lots


async def stored_use(
    conn: AsyncConnection, tender_id: str, lot_id: str, bidder_id: str
) -> StoredUse:
    mine = (bids.c.tender_id == tender_id, bids.c.bidder_id == bidder_id)
    row = (
        await conn.execute(
            select(
                func.coalesce(func.sum(bids.c.size), 0),
                func.count(),
                func.count(func.distinct(bids.c.lot_id)),
                func.count().filter(bids.c.lot_id == lot_id),
            ).where(*mine)
        )
    ).one()
    return StoredUse(int(row[0]), int(row[1]), int(row[2]), int(row[3]) > 0)


async def end_bid(conn: AsyncConnection, bid_id: int, status: str, now: datetime) -> None:
    """Mark a current bid replaced or withdrawn; the row and its file stay for the archive."""
    await conn.execute(
        update(bids)
        .where(bids.c.id == bid_id, bids.c.status == CURRENT)
        .values(status=status, ended_at=now)
    )


async def insert_bid(
    conn: AsyncConnection,
    *,
    tender_id: str,
    lot_id: str,
    bidder_id: str,
    bid_sha256: str,
    size: int,
    file_path: str,
    received_at: datetime,
) -> int:
    result = await conn.execute(
        insert(bids).values(
            tender_id=tender_id,
            lot_id=lot_id,
            bidder_id=bidder_id,
            bid_sha256=bid_sha256,
            size=size,
            file_path=file_path,
            received_at=received_at,
            # The column of a per-bidder counter that receipts no longer show (it told a
            # bidder's count of bids across tenders); rows written since carry 0.
            receipt_no=0,
            status=CURRENT,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def bids_of(conn: AsyncConnection, tender_id: str, bidder_id: str) -> list[BidRow]:
    """One bidder's whole history in one tender, oldest first."""
    rows = await conn.execute(
        select(bids)
        .where(bids.c.tender_id == tender_id, bids.c.bidder_id == bidder_id)
        .order_by(bids.c.id)
    )
    return [_bid(row) for row in rows]


async def current_bids(conn: AsyncConnection, tender_id: str) -> list[BidRow]:
    rows = await conn.execute(
        select(bids)
        .where(bids.c.tender_id == tender_id, bids.c.status == CURRENT)
        .order_by(bids.c.lot_id, bids.c.bidder_id)
    )
    return [_bid(row) for row in rows]


async def record_signin(
    conn: AsyncConnection, tender_id: str, bidder_id: str, now: datetime
) -> None:
    """Remember a pre-deadline sign-in; signing in twice keeps the first time."""
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    await conn.execute(
        insert_(signins)
        .values(tender_id=tender_id, bidder_id=bidder_id, signed_in_at=now)
        .on_conflict_do_nothing()
    )


async def signins_of(conn: AsyncConnection, tender_id: str) -> list[tuple[str, datetime]]:
    rows = await conn.execute(
        select(signins.c.bidder_id, signins.c.signed_in_at)
        .where(signins.c.tender_id == tender_id)
        .order_by(signins.c.signed_in_at, signins.c.bidder_id)
    )
    return [(row.bidder_id, row.signed_in_at) for row in rows]


async def has_signed_in(conn: AsyncConnection, tender_id: str, bidder_id: str) -> bool:
    row = (
        await conn.execute(
            select(signins.c.bidder_id).where(
                signins.c.tender_id == tender_id, signins.c.bidder_id == bidder_id
            )
        )
    ).first()
    return row is not None


async def store_summary(
    conn: AsyncConnection,
    *,
    tender_id: str,
    lot_id: str,
    bidder_id: str,
    bid_sha256: str,
    summary: dict[str, Any],
    now: datetime,
) -> None:
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    await conn.execute(
        insert_(opened_summaries)
        .values(
            tender_id=tender_id,
            lot_id=lot_id,
            bidder_id=bidder_id,
            bid_sha256=bid_sha256,
            summary=json.dumps(summary, ensure_ascii=False, sort_keys=True),
            opened_at=now,
        )
        .on_conflict_do_nothing()
    )


async def summaries_of(conn: AsyncConnection, tender_id: str) -> list[dict[str, Any]]:
    """Every opened summary of a tender, for the tick that reads them out, never for a view."""
    rows = await conn.execute(
        select(opened_summaries)
        .where(opened_summaries.c.tender_id == tender_id)
        .order_by(opened_summaries.c.lot_id, opened_summaries.c.bidder_id)
    )
    return [
        {
            "lot": row.lot_id,
            "bidder": row.bidder_id,
            "bid_sha256": row.bid_sha256,
            "summary": json.loads(row.summary),
        }
        for row in rows
    ]


async def file_paths(conn: AsyncConnection) -> set[str]:
    """Every sealed file a row names, relative to the bids folder."""
    return {str(row[0]) for row in await conn.execute(select(bids.c.file_path))}


async def rename_file(conn: AsyncConnection, old: str, new: str) -> None:
    await conn.execute(update(bids).where(bids.c.file_path == old).values(file_path=new))


async def all_bids(conn: AsyncConnection, tender_id: str) -> list[BidRow]:
    """Every sealed file a tender received (current, replaced, withdrawn), in receipt order."""
    rows = await conn.execute(select(bids).where(bids.c.tender_id == tender_id).order_by(bids.c.id))
    return [_bid(row) for row in rows]
