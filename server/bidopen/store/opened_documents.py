"""Opened bid documents: each one's wrapped data key and facts, and the log of who read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.schema import document_reads, opened_documents


@dataclass(frozen=True)
class OpenedDocument:
    """What the hub kept of a bid it opened: enough to open it again, and to describe it."""

    tender_id: str
    lot_id: str
    bidder_id: str
    bid_sha256: str
    wrapped_key: str
    archive_key_id: str
    size: int
    sha256: str
    name: str
    opened_at: datetime


@dataclass(frozen=True)
class DocumentRead:
    lot_id: str
    bidder_id: str
    bid_sha256: str
    reader_role: str
    reader_id: str
    read_at: datetime


def _document(row: Row[Any]) -> OpenedDocument:
    return OpenedDocument(
        tender_id=row.tender_id,
        lot_id=row.lot_id,
        bidder_id=row.bidder_id,
        bid_sha256=row.bid_sha256,
        wrapped_key=row.wrapped_key,
        archive_key_id=row.archive_key_id,
        size=row.document_size,
        sha256=row.document_sha256,
        name=row.document_name,
        opened_at=row.opened_at,
    )


async def keep_document(conn: AsyncConnection, document: OpenedDocument) -> None:
    """Called in the transaction that records the decryption; a bid is decrypted only once."""
    await conn.execute(
        insert(opened_documents).values(
            tender_id=document.tender_id,
            lot_id=document.lot_id,
            bidder_id=document.bidder_id,
            bid_sha256=document.bid_sha256,
            wrapped_key=document.wrapped_key,
            archive_key_id=document.archive_key_id,
            document_size=document.size,
            document_sha256=document.sha256,
            document_name=document.name,
            opened_at=document.opened_at,
        )
    )


async def opened_document(
    conn: AsyncConnection, tender_id: str, lot_id: str, bidder_id: str
) -> OpenedDocument | None:
    row = (
        await conn.execute(
            select(opened_documents).where(
                opened_documents.c.tender_id == tender_id,
                opened_documents.c.lot_id == lot_id,
                opened_documents.c.bidder_id == bidder_id,
            )
        )
    ).first()
    return None if row is None else _document(row)


async def opened_documents_of(conn: AsyncConnection, tender_id: str) -> list[OpenedDocument]:
    rows = await conn.execute(
        select(opened_documents)
        .where(opened_documents.c.tender_id == tender_id)
        .order_by(opened_documents.c.lot_id, opened_documents.c.bidder_id)
    )
    return [_document(row) for row in rows]


async def record_read(
    conn: AsyncConnection, document: OpenedDocument, reader_role: str, reader_id: str, now: datetime
) -> None:
    await conn.execute(
        insert(document_reads).values(
            tender_id=document.tender_id,
            lot_id=document.lot_id,
            bidder_id=document.bidder_id,
            bid_sha256=document.bid_sha256,
            reader_role=reader_role,
            reader_id=reader_id,
            read_at=now,
        )
    )


async def reads_of(conn: AsyncConnection, tender_id: str) -> list[DocumentRead]:
    """Every read of a tender's documents, oldest first."""
    rows = await conn.execute(
        select(document_reads)
        .where(document_reads.c.tender_id == tender_id)
        .order_by(document_reads.c.id)
    )
    return [
        DocumentRead(
            row.lot_id, row.bidder_id, row.bid_sha256, row.reader_role, row.reader_id, row.read_at
        )
        for row in rows
    ]
