"""Opened bid documents for the evaluation: who may read which, and when; each read is logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from bidopen.clock import Clock, iso
from bidopen.errors import HubError
from bidopen.service.archive import BidArchive
from bidopen.service.host_scope import HostScope
from bidopen.service.sessions import SessionService
from bidopen.service.views import BIDDER, HOST
from bidopen.session.phases import Phase
from bidopen.session.state import OpeningSession
from bidopen.session.values import BidStatus
from bidopen.store import bids as bid_store
from bidopen.store import opened_documents as store
from bidopen.store.accounts import Principal
from bidopen.store.db import Database
from bidopen.store.files import stored_path
from bidopen.store.opened_documents import OpenedDocument
from bidseal import DocumentStream, InvalidSealedBid
from bidseal.streams import read_block

log = logging.getLogger("bidopen.documents")

# One sealed block per thread hop: memory stays at a block and about two chunks.
READ_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class DocumentRelease:
    """A document a reader was allowed to read (and whose read is logged), ready to stream."""

    document: OpenedDocument
    bidder_name: str
    path: Path
    data_key: bytes = field(repr=False)


def _feed_next_block(sealed: BinaryIO, block: bytearray, stream: DocumentStream) -> bytes | None:
    """Plaintext of the next block (maybe empty); None at the end of the sealed file."""
    count = read_block(sealed, block)
    if not count:
        return None
    return stream.feed(memoryview(block)[:count])


def _may_read(state: OpeningSession, lot_id: str, bidder_id: str) -> bool:
    bid = state.bids.get((lot_id, bidder_id))
    return bid is not None and bid.outcome is not None and bid.outcome.status is BidStatus.OPENED


def describe(state: OpeningSession, document: OpenedDocument) -> dict[str, Any]:
    """A document as the listing shows it: never its key."""
    return {
        "lot": document.lot_id,
        "bidder": document.bidder_id,
        "bidder_name": state.name_of(document.bidder_id),
        "bid_sha256": document.bid_sha256,
        "size": document.size,
        "sha256": document.sha256,
        "name": document.name,
        "opened_at": iso(document.opened_at),
    }


class BidDocuments:
    """The tender's host reads every opened document, a bidder its own; only after the read-out."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        sessions: SessionService,
        host_scope: HostScope,
        archive: BidArchive,
        *,
        bids_dir: Path,
    ) -> None:
        self._db = db
        self._clock = clock
        self._sessions = sessions
        self._host_scope = host_scope
        self._archive = archive
        self._bids_dir = bids_dir

    async def _read_out_session(self, tender_id: str, reader: Principal) -> OpeningSession:
        """The session, if `reader` may read its documents; one refusal alike for every bid."""
        state = (await self._sessions.load(tender_id)).state
        if state.phase is Phase.UNSCHEDULED:
            raise HubError("tender_not_found")
        if reader.role == HOST:
            await self._host_scope.actor(reader, tender_id)
        elif reader.role != BIDDER:
            raise HubError("forbidden")
        # Checked before any bid is looked up: before the read-out the answer is the same for
        # every bidder, so it tells nobody who bid, and no document can leak a price early.
        if state.read_out_at is None:
            raise HubError("document_sealed")
        return state

    async def listing(self, tender_id: str, reader: Principal) -> list[dict[str, Any]]:
        """Opened documents the reader may download, in lot then bidder order."""
        state = await self._read_out_session(tender_id, reader)
        async with self._db.read() as conn:
            documents = await store.opened_documents_of(conn, tender_id)
        return [
            describe(state, document)
            for document in documents
            if _may_read(state, document.lot_id, document.bidder_id)
            and (reader.role == HOST or document.bidder_id == reader.subject)
        ]

    async def reads(self, tender_id: str, reader: Principal) -> list[dict[str, Any]]:
        """Who read which document and when: for the tender's host (and its auditors)."""
        if reader.role != HOST:
            raise HubError("forbidden", "The read log is for the tender's host.")
        await self._read_out_session(tender_id, reader)
        async with self._db.read() as conn:
            rows = await store.reads_of(conn, tender_id)
        return [
            {
                "lot": row.lot_id,
                "bidder": row.bidder_id,
                "bid_sha256": row.bid_sha256,
                "reader_role": row.reader_role,
                "reader": row.reader_id,
                "read_at": iso(row.read_at),
            }
            for row in rows
        ]

    async def release(
        self, tender_id: str, lot_id: str, bidder_id: str, reader: Principal
    ) -> DocumentRelease:
        """Check the reader may read this document now, log the read, unwrap its key."""
        if reader.role == BIDDER and reader.subject != bidder_id:
            raise HubError("not_permitted", "A bidder reads its own bid document only.")
        state = await self._read_out_session(tender_id, reader)
        bid = state.bids.get((lot_id, bidder_id))
        if bid is None:
            raise HubError("document_not_found")
        if not _may_read(state, lot_id, bidder_id):
            # Revoked and withdrawn bids were never opened, and stay sealed for good.
            raise HubError("bid_not_opened")
        async with self._db.write() as conn:
            document = await store.opened_document(conn, tender_id, lot_id, bidder_id)
            row = await bid_store.current_bid(conn, tender_id, lot_id, bidder_id)
            if document is None or document.bid_sha256 != bid.bid_sha256:
                raise HubError("document_unavailable", "It was opened before documents were kept.")
            if row is None or row.bid_sha256 != bid.bid_sha256:
                raise HubError("document_unavailable", "Its sealed file is not on record.")
            data_key = self._archive.unwrap(
                document.wrapped_key,
                document.archive_key_id,
                tender_id,
                lot_id,
                bidder_id,
                bid.bid_sha256,
            )
            # Logged before the first byte leaves: an interrupted download was still a read.
            await store.record_read(conn, document, reader.role, reader.subject, self._clock.now())
        return DocumentRelease(
            document, state.name_of(bidder_id), stored_path(self._bids_dir, row.file_path), data_key
        )

    async def plaintext(self, release: DocumentRelease) -> AsyncGenerator[bytes, None]:
        """The document, piece by piece as it verifies; `document_damaged` where it fails."""
        stream = DocumentStream(release.data_key)
        block = bytearray(READ_BLOCK)
        try:
            with open(release.path, "rb") as sealed:  # noqa: ASYNC230 - opening is instant
                while (
                    piece := await asyncio.to_thread(_feed_next_block, sealed, block, stream)
                ) is not None:
                    if piece:
                        yield piece
                last, _ = await asyncio.to_thread(stream.finish, release.document.bid_sha256)
        except (InvalidSealedBid, OSError) as exc:
            document = release.document
            log.error(
                "the sealed file of %s/%s/%s does not open: %r",
                document.tender_id,
                document.lot_id,
                document.bidder_id,
                exc,
            )
            raise HubError("document_damaged") from None
        if last:
            yield last
