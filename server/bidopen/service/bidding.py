"""Sealed bids before the deadline: streaming upload, replacement, withdrawal, receipts."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bidopen.clock import Clock, iso
from bidopen.errors import HubError
from bidopen.service.intake import IncomingStream, Intake
from bidopen.service.quotas import BidderQuota, StorageGuard, UploadAllowance
from bidopen.service.sessions import SessionService
from bidopen.service.signing import ServerSigner, document_text
from bidopen.session.phases import Phase
from bidopen.session.state import OpeningSession
from bidopen.store import bids as bid_store
from bidopen.store.bidders import BidderAccount
from bidopen.store.db import Database
from bidopen.store.documents import add_document, latest_document
from bidopen.store.files import IncomingFile, new_sealed_path, remove_file
from bidopen.store.tenders import get_tender
from bidseal import InvalidSealedBid
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


def _may_take(state: OpeningSession, lot_id: str, at: datetime) -> bool:
    return (
        state.phase is Phase.SCHEDULED
        and state.deadline is not None
        and at < state.deadline
        and lot_id in {lot.id for lot in state.lots}
    )


def receipt_id(tender: str, lot: str, bidder: str, bid_sha256: str, received_at: datetime) -> str:
    """A receipt's identifier: a digest of the bid it acknowledges and nothing else.

    It tells nothing of other bids or tenders (a counter would tell how many came before)
    and needs no storage: the same bid row gives the same id in the receipt, the
    withdrawal and the bidder's list.
    """
    text = "\x00".join(("bidopen-receipt", tender, lot, bidder, bid_sha256, iso(received_at)))
    return "r_" + b64u_encode(hashlib.sha256(text.encode()).digest()[:16])


def row_receipt_id(row: bid_store.BidRow) -> str:
    return receipt_id(row.tender_id, row.lot_id, row.bidder_id, row.bid_sha256, row.received_at)


def deadline_in_force(state: OpeningSession, at: datetime) -> datetime:
    """The deadline that was in force at `at`: later postponements do not apply to it."""
    assert state.deadline is not None
    deadline = state.deadline
    for change in reversed(state.reschedulings):
        if change.at <= at:
            break
        deadline = change.previous_deadline
    return deadline


@dataclass(eq=False)
class _Finishing:
    """One upload from its last byte's arrival until its row is committed or refused."""

    arrived_at: datetime
    tender_id: str | None = None  # None until the upload knows its tender


class FinishingUploads:
    """Uploads of this process whose last byte arrived in time but whose row is not committed.

    The deadline tick waits for them, so that verification, fsync or a slow commit queue
    cannot turn a bid that arrived before the deadline into a refused one. An upload is
    counted from the arrival of its last byte, before it even knows its tender, so every
    tick waits for it until it has said which tender it is for (`concerns`).
    """

    def __init__(self) -> None:
        self._open: set[_Finishing] = set()
        self._changed = asyncio.Condition()

    @contextmanager
    def finishing(self, arrived_at: datetime) -> Iterator[_Finishing]:
        upload = _Finishing(arrived_at)
        self._open.add(upload)
        try:
            yield upload
        finally:
            self._open.discard(upload)
            self._changed_now()

    def concerns(self, upload: _Finishing, tender_id: str, deadline: datetime) -> None:
        """The upload is for `tender_id`; its tick waits for it only if it arrived in time."""
        if upload.arrived_at < deadline:
            upload.tender_id = tender_id
        else:
            self._open.discard(upload)
        self._changed_now()

    def _changed_now(self) -> None:
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def settled(self, tender_id: str) -> None:
        async with self._changed:
            await self._changed.wait_for(
                lambda: not any(u.tender_id in (None, tender_id) for u in self._open)
            )


class Bidding:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sessions: SessionService,
        signer: ServerSigner,
        *,
        bids_dir: Path,
        node_name: str,
        max_bid_bytes: int,
        quota: BidderQuota,
        storage: StorageGuard,
        intake: Intake,
    ) -> None:
        self._db = db
        self._clock = clock
        self._sessions = sessions
        self._signer = signer
        self._bids_dir = bids_dir
        self._node_name = node_name
        self.max_bid_bytes = max_bid_bytes
        self._quota = quota
        self._storage = storage
        self.intake = intake
        self._uploads = FinishingUploads()

    async def settled(self, tender_id: str) -> None:
        """Wait until uploads whose last byte arrived in time are recorded (the deadline tick)."""
        await self._uploads.settled(tender_id)

    async def check_open(
        self, tender_id: str, lot_id: str, *, last_bytes_at: datetime | None = None
    ) -> OpeningSession:
        """Refuse early when the tender cannot take this bid now.

        A request whose bytes so far came after the deadline cannot end before it, so it is
        refused here; one whose bytes came before it is judged when its last byte arrives.
        """
        at = last_bytes_at or self._clock.now()
        # This process's newest state first: no database wait before the bytes are read.
        # It may be older than the log (another node postponed), so a refusal is confirmed.
        cached = self._sessions.cached(tender_id)
        if cached is not None and _may_take(cached.state, lot_id, at):
            return cached.state
        state = await self._state(tender_id)
        _open_for_bids(state, lot_id)
        assert state.deadline is not None
        if at >= state.deadline:
            raise HubError("deadline_passed")
        return state

    async def _state(self, tender_id: str) -> OpeningSession:
        async with self._db.read() as conn:
            if await get_tender(conn, tender_id) is None:
                raise HubError("tender_not_found")
            return (await self._sessions.load_in(conn, tender_id)).state

    async def _admit(
        self, target: Awaitable[Submission], last_bytes_at: datetime, declared_length: int | None
    ) -> tuple[Submission, OpeningSession, UploadAllowance]:
        submission = await target
        state = await self.check_open(
            submission.tender_id, submission.lot_id, last_bytes_at=last_bytes_at
        )
        return submission, state, await self._allowance(submission, declared_length)

    async def submit(
        self,
        target: Awaitable[Submission],
        body: AsyncIterator[bytes],
        declared_length: int | None,
        *,
        received_ago: Callable[[], float] = lambda: 0.0,
    ) -> dict[str, str]:
        """Receive, verify and store a sealed file; the signed receipt is returned.

        Receiving starts at once: who is uploading and whether the tender is open are
        looked up meanwhile, so no database wait holds the bytes back in the socket. They
        stream to a temporary file while the intake pool verifies them; nothing keeps the
        whole file in memory, and any refusal removes what was written. The instant the
        last byte was read from the socket (`received_ago` seconds before the body ended)
        decides the deadline, against the deadline in force at that instant; verification,
        fsync and the row come after, and the deadline tick waits for them.
        """
        if declared_length is not None and declared_length > self.max_bid_bytes:
            raise HubError("bid_too_large", f"The limit is {self.max_bid_bytes} bytes.")
        admission = asyncio.ensure_future(
            self._admit(target, self._arrival(received_ago), declared_length)
        )
        incoming = IncomingFile(self._bids_dir, self._node_name)
        stream = IncomingStream(incoming, self.intake)
        final: Path | None = None
        try:
            async for chunk in body:
                if admission.done():
                    # A refusal ends the upload now; quotas apply once the bidder is known.
                    admission.result()[2].admit(stream.size + len(chunk))
                elif stream.size + len(chunk) > self.max_bid_bytes:
                    raise HubError("bid_too_large", f"The limit is {self.max_bid_bytes} bytes.")
                await stream.add(chunk)
            arrived_at = self._arrival(received_ago)
            # Registered before any wait, so a tick due now waits for this bid.
            with self._uploads.finishing(arrived_at) as finishing:
                submission, state, allowance = await admission
                allowance.admit(stream.size)
                assert state.deadline is not None
                self._uploads.concerns(finishing, submission.tender_id, state.deadline)
                if arrived_at >= state.deadline:
                    # Late by the deadline known at the start; the host may have postponed.
                    latest = await self._state(submission.tender_id)
                    if arrived_at >= deadline_in_force(latest, arrived_at):
                        raise HubError("deadline_passed")
                info = await stream.finish()
                context = info.context
                if (context.tender, context.lot, context.bidder) != (
                    submission.tender_id,
                    submission.lot_id,
                    submission.bidder.id,
                ):
                    raise HubError("bid_context_mismatch")
                if b64u_encode(info.signer_key) != submission.bidder.signing_key:
                    raise HubError("signer_key_mismatch")
                await incoming.make_durable()
                final = new_sealed_path(self._bids_dir)
                await incoming.commit(final)
                return await self._record(
                    submission, info.bid_sha256, incoming.size, final, arrived_at
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
            if not admission.done():
                admission.cancel()
            with contextlib.suppress(BaseException):
                await admission
            await stream.close()
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

    def _arrival(self, received_ago: Callable[[], float]) -> datetime:
        """When the bytes read so far arrived: now, less the time since the socket read them."""
        return self._clock.now() - timedelta(seconds=received_ago())

    async def _record(
        self, target: Submission, bid_sha256: str, size: int, path: Path, received_at: datetime
    ) -> dict[str, str]:
        async with self._db.write() as conn:
            # The tender row lock orders this commit against the deadline tick.
            if await get_tender(conn, target.tender_id, lock=True) is None:
                raise HubError("tender_not_found")
            state = (await self._sessions.load_in(conn, target.tender_id)).state
            _open_for_bids(state, target.lot_id)
            if received_at >= deadline_in_force(state, received_at):
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
            await bid_store.insert_bid(
                conn,
                tender_id=target.tender_id,
                lot_id=target.lot_id,
                bidder_id=target.bidder.id,
                bid_sha256=bid_sha256,
                size=size,
                file_path=str(path.relative_to(self._bids_dir)),
                received_at=received_at,
            )
            receipt = self._signer.sign(
                "receipt",
                {
                    **_bid_facts(state, target),
                    "bid_sha256": bid_sha256,
                    "size": size,
                    "received_at": iso(received_at),
                    "receipt_id": receipt_id(
                        target.tender_id, target.lot_id, target.bidder.id, bid_sha256, received_at
                    ),
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
                    "receipt_id": row_receipt_id(current),
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
                "receipt_id": row_receipt_id(row),
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
