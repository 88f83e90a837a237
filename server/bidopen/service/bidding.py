"""Sealed bids before the deadline: streaming upload, replacement, withdrawal, receipts."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bidopen.clock import Clock, iso
from bidopen.errors import HubError
from bidopen.service.quotas import BidderQuota, StorageGuard, UploadAllowance
from bidopen.service.sessions import SessionService
from bidopen.service.signing import ServerSigner, document_text
from bidopen.session.phases import Phase
from bidopen.session.state import OpeningSession
from bidopen.store import bids as bid_store
from bidopen.store.bidders import BidderAccount
from bidopen.store.counters import next_value
from bidopen.store.db import Database
from bidopen.store.documents import add_document, latest_document
from bidopen.store.files import IncomingFile, new_sealed_path, remove_file
from bidopen.store.tenders import get_tender
from bidseal import InvalidSealedBid, SealedBidReader
from bidseal.codec import b64u_encode

log = logging.getLogger("bidopen.bidding")


@dataclass(frozen=True)
class Submission:
    """Where a bid goes: checked against the upload's path and the caller's account."""

    tender_id: str
    lot_id: str
    bidder: BidderAccount


def _open_for_bids(state: OpeningSession, lot_id: str) -> None:
    if state.phase is not Phase.SCHEDULED:
        raise HubError("deadline_passed", f"The session is in phase {state.phase.value}.")
    if lot_id not in {lot.id for lot in state.lots}:
        raise HubError("lot_not_found")


# Receipts and withdrawals of this version carry the deadline and the names the bidder's
# client shows before it hands over a data key (docs/sealed-bid-format.md, 4.1).
BID_DOCUMENT_VERSION = 2


def _bid_facts(state: OpeningSession, target: Submission) -> dict[str, object]:
    """What a receipt or withdrawal says of the tender: signed, so a client can rely on it."""
    assert state.deadline is not None
    lot_names = {lot.id: lot.name for lot in state.lots}
    return {
        "version": BID_DOCUMENT_VERSION,
        "tender": target.tender_id,
        "tender_code": state.code,
        "tender_title": state.title,
        "lot": target.lot_id,
        "lot_name": lot_names[target.lot_id],
        "bidder": target.bidder.id,
        "deadline": iso(state.deadline),
    }


class FinishingUploads:
    """Uploads of this process whose file is stored in time but whose row is not committed.

    The deadline tick waits for them, so that a slow commit queue cannot turn a bid that
    was stored before the deadline into a refused one.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._changed = asyncio.Condition()

    @contextmanager
    def finishing(self, tender_id: str) -> Iterator[None]:
        self._counts[tender_id] = self._counts.get(tender_id, 0) + 1
        try:
            yield
        finally:
            self._counts[tender_id] -= 1
            if not self._counts[tender_id]:
                del self._counts[tender_id]
            asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def settled(self, tender_id: str) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: tender_id not in self._counts)


class Bidding:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sessions: SessionService,
        signer: ServerSigner,
        *,
        bids_dir: Path,
        max_bid_bytes: int,
        quota: BidderQuota,
        storage: StorageGuard,
    ) -> None:
        self._db = db
        self._clock = clock
        self._sessions = sessions
        self._signer = signer
        self._bids_dir = bids_dir
        self.max_bid_bytes = max_bid_bytes
        self._quota = quota
        self._storage = storage
        self._uploads = FinishingUploads()

    async def settled(self, tender_id: str) -> None:
        """Wait until uploads stored before the deadline have committed (the deadline tick)."""
        await self._uploads.settled(tender_id)

    async def check_open(self, tender_id: str, lot_id: str) -> OpeningSession:
        """Refuse early (before reading a byte) when the tender cannot take this bid now."""
        async with self._db.read() as conn:
            if await get_tender(conn, tender_id) is None:
                raise HubError("tender_not_found")
            state = (await self._sessions.load_in(conn, tender_id)).state
        _open_for_bids(state, lot_id)
        assert state.deadline is not None
        if self._clock.now() >= state.deadline:
            raise HubError("deadline_passed")
        return state

    async def submit(
        self, target: Submission, body: AsyncIterator[bytes], declared_length: int | None
    ) -> dict[str, str]:
        """Receive, verify and store a sealed file; the signed receipt is returned.

        The bytes stream through the reader into a temporary file; nothing keeps the
        whole file in memory, and any refusal removes what was written.
        """
        state = await self.check_open(target.tender_id, target.lot_id)
        assert state.deadline is not None
        allowance = await self._allowance(target, declared_length)
        incoming = IncomingFile(self._bids_dir)
        final: Path | None = None
        try:
            reader = SealedBidReader()
            async for chunk in body:
                allowance.admit(incoming.size + len(chunk))
                reader.feed(chunk)
                incoming.write(chunk)
            info = reader.finish()
            context = info.context
            if (context.tender, context.lot, context.bidder) != (
                target.tender_id,
                target.lot_id,
                target.bidder.id,
            ):
                raise HubError("bid_context_mismatch")
            if b64u_encode(info.signer_key) != target.bidder.signing_key:
                raise HubError("signer_key_mismatch")
            await incoming.make_durable()
            final = new_sealed_path(self._bids_dir)
            await incoming.commit(final)
            received_at = self._clock.now()
            if received_at >= state.deadline:
                raise HubError("deadline_passed")
            with self._uploads.finishing(target.tender_id):
                return await self._record(
                    target, info.bid_sha256, incoming.size, final, received_at
                )
        except InvalidSealedBid as exc:
            raise HubError("invalid_sealed_bid") from exc
        except BaseException as exc:
            if final is not None:
                remove_file(final)
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                # The reserve (storage_reserve_bytes) was too small for this upload.
                log.warning("refused an upload: the data folder's disk is full")
                raise HubError("storage_full") from exc
            raise
        finally:
            incoming.discard()

    async def _allowance(self, target: Submission, declared_length: int | None) -> UploadAllowance:
        """Refuse before reading a byte what the declared length or the stored files rule out."""
        async with self._db.read() as conn:
            use = await bid_store.stored_use(
                conn, target.tender_id, target.lot_id, target.bidder.id
            )
        allowance = UploadAllowance(self.max_bid_bytes, self._quota, use, self._storage)
        self._quota.check(use, 0)
        if declared_length is not None:
            allowance.admit(declared_length)
        self._storage.check(declared_length or 0)
        return allowance

    async def _record(
        self, target: Submission, bid_sha256: str, size: int, path: Path, received_at: datetime
    ) -> dict[str, str]:
        async with self._db.write() as conn:
            # The tender row lock orders this commit against the deadline tick.
            if await get_tender(conn, target.tender_id, lock=True) is None:
                raise HubError("tender_not_found")
            state = (await self._sessions.load_in(conn, target.tender_id)).state
            _open_for_bids(state, target.lot_id)
            assert state.deadline is not None
            if received_at >= state.deadline:
                raise HubError("deadline_passed")
            # Again under the tender's lock: two uploads of one bidder at once count together.
            self._quota.check(
                await bid_store.stored_use(conn, target.tender_id, target.lot_id, target.bidder.id),
                size,
            )
            previous = await bid_store.current_bid(
                conn, target.tender_id, target.lot_id, target.bidder.id
            )
            if previous is not None:
                await bid_store.end_bid(conn, previous.id, bid_store.REPLACED, received_at)
            receipt_no = await next_value(conn, f"receipt:{target.bidder.id}")
            await bid_store.insert_bid(
                conn,
                tender_id=target.tender_id,
                lot_id=target.lot_id,
                bidder_id=target.bidder.id,
                bid_sha256=bid_sha256,
                size=size,
                file_path=str(path.relative_to(self._bids_dir)),
                received_at=received_at,
                receipt_no=receipt_no,
            )
            receipt = self._signer.sign(
                "receipt",
                {
                    **_bid_facts(state, target),
                    "bid_sha256": bid_sha256,
                    "size": size,
                    "received_at": iso(received_at),
                    "receipt_no": receipt_no,
                },
            )
            await add_document(
                conn,
                tender_id=target.tender_id,
                type_="receipt",
                owner=target.bidder.id,
                body=document_text(receipt),
                now=received_at,
                ref=bid_sha256,
            )
        return receipt

    async def withdraw(self, target: Submission) -> dict[str, str]:
        """End the current bid in a lot before the deadline; returns the signed withdrawal."""
        async with self._db.write() as conn:
            if await get_tender(conn, target.tender_id, lock=True) is None:
                raise HubError("tender_not_found")
            state = (await self._sessions.load_in(conn, target.tender_id)).state
            _open_for_bids(state, target.lot_id)
            now = self._clock.now()
            assert state.deadline is not None
            if now >= state.deadline:
                raise HubError("deadline_passed")
            current = await bid_store.current_bid(
                conn, target.tender_id, target.lot_id, target.bidder.id
            )
            if current is None:
                raise HubError("bid_not_found")
            await bid_store.end_bid(conn, current.id, bid_store.WITHDRAWN, now)
            document = self._signer.sign(
                "withdrawal",
                {
                    **_bid_facts(state, target),
                    "bid_sha256": current.bid_sha256,
                    "size": current.size,
                    "withdrawn_at": iso(now),
                    "receipt_no": current.receipt_no,
                },
            )
            await add_document(
                conn,
                tender_id=target.tender_id,
                type_="withdrawal",
                owner=target.bidder.id,
                body=document_text(document),
                now=now,
                ref=current.bid_sha256,
            )
        return document

    async def my_bids(self, tender_id: str, bidder_id: str) -> list[dict[str, Any]]:
        """The caller's own history in a tender; other bidders' bids are never listed."""
        async with self._db.read() as conn:
            if await get_tender(conn, tender_id) is None:
                raise HubError("tender_not_found")
            rows = await bid_store.bids_of(conn, tender_id, bidder_id)
        return [
            {
                "lot": row.lot_id,
                "bid_sha256": row.bid_sha256,
                "size": row.size,
                "received_at": iso(row.received_at),
                "receipt_no": row.receipt_no,
                "status": row.status,
                "ended_at": iso(row.ended_at) if row.ended_at else None,
            }
            for row in rows
        ]

    async def receipt(self, tender_id: str, lot_id: str, bidder_id: str) -> dict[str, Any]:
        async with self._db.read() as conn:
            current = await bid_store.current_bid(conn, tender_id, lot_id, bidder_id)
            if current is None:
                raise HubError("bid_not_found")
            text = await latest_document(
                conn, tender_id, "receipt", bidder_id, ref=current.bid_sha256
            )
        for_bid = json.loads(text) if text else None
        return {"bid_sha256": current.bid_sha256, "receipt": for_bid}
