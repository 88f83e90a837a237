"""Data keys during the decryption window, and the rehearsal that proves a key file works."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.clock import Clock, iso
from bidopen.errors import HubError
from bidopen.service.archive import BidArchive
from bidopen.service.sessions import SessionService
from bidopen.session.commands import RecordDecryption, RecordDecryptionFailure
from bidopen.session.events import Event
from bidopen.session.phases import Phase
from bidopen.session.state import OpeningSession
from bidopen.session.values import Actor, Role
from bidopen.store import bids as bid_store
from bidopen.store import rehearsals
from bidopen.store.bidders import BidderAccount
from bidopen.store.db import Database
from bidopen.store.files import stored_path
from bidopen.store.opened_documents import OpenedDocument, keep_document
from bidseal import InvalidSealedBid, PublicBundle, make_rehearsal_envelope, open_sealed
from bidseal.codec import b64u_decode

REHEARSAL_TTL = timedelta(minutes=10)
DATA_KEY_BYTES = 32


def _key_bytes(text: object, name: str) -> bytes:
    try:
        if not isinstance(text, str):
            raise ValueError(name)
        key = b64u_decode(text)
    except ValueError as exc:
        raise HubError("validation_failed", f"{name} must be base64url without padding.") from exc
    if len(key) != DATA_KEY_BYTES:
        raise HubError("validation_failed", f"{name} must be {DATA_KEY_BYTES} bytes.")
    return key


class _DocumentDigest:
    """The `out` of an opening that keeps nothing of the document but its SHA-256."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        return len(data)


@dataclass(frozen=True)
class _Opened:
    summary: dict[str, Any]
    size: int
    sha256: str


def _open_bid(path: Path, data_key: bytes) -> _Opened:
    digest = _DocumentDigest()
    with open(path, "rb") as sealed:
        opened = open_sealed(sealed, data_key, out=cast(BinaryIO, digest))
    return _Opened(opened.summary, opened.size, digest.sha256.hexdigest())


def _document_name(summary: dict[str, Any]) -> str:
    """The file name the bidder's client put in the summary, if any (a download suggests it)."""
    document = summary.get("document")
    name = document.get("name") if isinstance(document, dict) else None
    return name[:300] if isinstance(name, str) else ""


class Decryption:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sessions: SessionService,
        *,
        bids_dir: Path,
        archive: BidArchive,
    ) -> None:
        self._db = db
        self._clock = clock
        self._sessions = sessions
        self._bids_dir = bids_dir
        self._archive = archive

    async def start_rehearsal(self, bidder: BidderAccount) -> dict[str, str]:
        """A random key wrapped to the bidder's encryption key; the bidder sends it back."""
        rehearsal_id = f"RH{secrets.token_hex(8)}"
        public = PublicBundle(
            encryption_key=b64u_decode(bidder.encryption_key),
            signing_key=b64u_decode(bidder.signing_key),
        )
        envelope, expected = make_rehearsal_envelope(public, rehearsal_id, bidder.id)
        expires_at = self._clock.now() + REHEARSAL_TTL
        async with self._db.write() as conn:
            await rehearsals.add_rehearsal(
                conn, rehearsal_id, bidder.id, hashlib.sha256(expected).hexdigest(), expires_at
            )
        return {"rehearsal_id": rehearsal_id, "envelope": envelope, "expires_at": iso(expires_at)}

    async def answer_rehearsal(self, bidder: BidderAccount, rehearsal_id: str, key: object) -> None:
        answer = _key_bytes(key, "key")
        async with self._db.write() as conn:
            passed = await rehearsals.pass_rehearsal(
                conn,
                rehearsal_id,
                bidder.id,
                hashlib.sha256(answer).hexdigest(),
                self._clock.now(),
            )
        if not passed:
            raise HubError("rehearsal_failed")

    async def submit_key(
        self, tender_id: str, lot_id: str, bidder_id: str, key_text: object
    ) -> dict[str, Any]:
        """Open the bidder's bid with its data key; the summary stays private until the read-out."""
        data_key = _key_bytes(key_text, "data_key")
        loaded = await self._sessions.load(tender_id)
        state = loaded.state
        if state.phase is not Phase.DECRYPTION:
            raise HubError("decryption_closed")
        bid = state.bids.get((lot_id, bidder_id))
        if bid is None:
            raise HubError("unknown_bid")
        path = await self._bid_path(tender_id, lot_id, bidder_id, bid.bid_sha256)
        actor = Actor(role=Role.BIDDER, id=bidder_id)
        try:
            # Opening checks every chunk: CPU and disk work kept off the event loop.
            opened = await asyncio.to_thread(_open_bid, path, data_key)
        except InvalidSealedBid:
            await self._sessions.execute(
                tender_id,
                RecordDecryptionFailure(
                    actor=actor, bidder=bidder_id, lot=lot_id, reason_code="wrong_key"
                ),
            )
            raise HubError("wrong_data_key") from None

        # Kept wrapped, so the document can be opened again after the read-out (and only then).
        wrapped = self._archive.wrap(data_key, tender_id, lot_id, bidder_id, bid.bid_sha256)

        async def keep_summary_and_key(
            conn: AsyncConnection, _state: OpeningSession, events: Sequence[Event]
        ) -> None:
            await bid_store.store_summary(
                conn,
                tender_id=tender_id,
                lot_id=lot_id,
                bidder_id=bidder_id,
                bid_sha256=bid.bid_sha256,
                summary=opened.summary,
                now=events[0].at,
            )
            await keep_document(
                conn,
                OpenedDocument(
                    tender_id=tender_id,
                    lot_id=lot_id,
                    bidder_id=bidder_id,
                    bid_sha256=bid.bid_sha256,
                    wrapped_key=wrapped,
                    archive_key_id=self._archive.key_id,
                    size=opened.size,
                    sha256=opened.sha256,
                    name=_document_name(opened.summary),
                    opened_at=events[0].at,
                ),
            )

        stored = await self._sessions.execute(
            tender_id,
            RecordDecryption(actor=actor, bidder=bidder_id, lot=lot_id),
            keep_summary_and_key,
        )
        return {"lot": lot_id, "bid_sha256": bid.bid_sha256, "seq": stored[-1].seq}

    async def _bid_path(self, tender_id: str, lot_id: str, bidder_id: str, sha: str) -> Path:
        async with self._db.read() as conn:
            row = await bid_store.current_bid(conn, tender_id, lot_id, bidder_id)
        if row is None or row.bid_sha256 != sha:
            raise HubError("unknown_bid")
        return stored_path(self._bids_dir, row.file_path)
