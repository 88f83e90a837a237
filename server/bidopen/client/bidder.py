"""The bidder's client: register keys, sign in by challenge, upload sealed bids, take part."""

from __future__ import annotations

import asyncio
import io
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bidopen.client.base import HubClient
from bidopen.client.documents import SignedDocument
from bidopen.client.errors import ClientError
from bidopen.client.host import CommandResult
from bidopen.client.receipts import ReceiptBook
from bidopen.client.release import (
    CLOCK_MARGIN,
    BidDocument,
    DeadlineStatement,
    KeyRelease,
    KeyReleaseRefused,
    Postponement,
    check_time,
    chosen_bid,
    plan_release,
)
from bidopen.client.rest import HubHttp
from bidseal import (
    BidContext,
    BidderKeys,
    InvalidSealedBid,
    InvalidSignedDocument,
    PublicBundle,
    SealedBidReader,
    SealResult,
    open_rehearsal_envelope,
    read_header,
    seal,
    sign_challenge,
    unwrap_data_key,
    verify_document,
)
from bidseal.codec import b64u_decode, b64u_encode
from bidseal.statements import (
    confirmation_message,
    objection_message,
    readout_sha256,
    result_objection_message,
    sign_statement,
)

_UPLOAD_BLOCK = 256 * 1024


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _file_blocks(path: Path) -> AsyncIterator[bytes]:
    # Reads block by block so that a sealed file of gigabytes uploads in constant memory.
    with path.open("rb") as sealed:
        while block := sealed.read(_UPLOAD_BLOCK):
            yield block


def sealed_sha256(sealed: bytes | Path) -> str:
    """The bid hash of a sealed file (what receipts name), read and checked here, not asked."""
    reader = SealedBidReader()
    try:
        if isinstance(sealed, bytes):
            reader.feed(sealed)
        else:
            with sealed.open("rb") as stream:
                while block := stream.read(_UPLOAD_BLOCK):
                    reader.feed(block)
        return reader.finish().bid_sha256
    except InvalidSealedBid:
        raise ClientError(
            "invalid_sealed_bid", "the sealed file is malformed or was altered"
        ) from None


def own_clock() -> datetime:
    """This computer's clock: the one that decides when a data key may leave it."""
    return datetime.now(UTC)


def seal_in_memory(
    keys: BidderKeys, context: BidContext, document: bytes, items: Mapping[str, str]
) -> tuple[bytes, SealResult]:
    """Seal a small document (simulations, tests); large ones go through `bidseal.seal_file`."""
    out = io.BytesIO()
    result = seal(io.BytesIO(document), out, keys=keys, context=context, summary={"items": items})
    return out.getvalue(), result


class BidderClient(HubClient):
    """One bidder, holding its own keys; `bidder_id` comes from `register` or from the caller."""

    namespace = "/bidder"

    def __init__(
        self,
        base_url: str | Sequence[str],
        keys: BidderKeys,
        bidder_id: str | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        book: ReceiptBook | None = None,
        clock_margin: timedelta = CLOCK_MARGIN,
        clock: Callable[[], datetime] = own_clock,
    ) -> None:
        super().__init__(base_url, session=session)
        self.keys = keys
        self._bidder_id = bidder_id
        # What this client may open is decided from this book and this clock only.
        self.book = book if book is not None else ReceiptBook()
        self.clock_margin = clock_margin
        self.clock = clock

    @property
    def bidder_id(self) -> str:
        if self._bidder_id is None:
            raise ClientError("unregistered", "register the bidder or give its id first")
        return self._bidder_id

    def context(self, tender_id: str, lot: str) -> BidContext:
        return BidContext(tender_id, lot, self.bidder_id)

    async def register(self, org_name: str, contact: str) -> str:
        """Register the public keys; the private keys never leave this machine."""
        self._bidder_id = await _register(self.http, self.keys.public, org_name, contact)
        return self._bidder_id

    async def login(self) -> None:
        """Sign the hub's challenge with the signing key and take the bearer token."""
        path = f"/api/bidders/{self.bidder_id}"
        challenge = await self.http.post(f"{path}/challenge")
        try:
            text, audience = str(challenge["challenge"]), str(challenge["audience"])
        except (KeyError, TypeError):
            raise ClientError("bad_response", "unexpected challenge answer") from None
        # A challenge meant for another origin could be a relay by a hub that is not ours.
        ours = _origin(self.base_url)
        if audience != ours:
            raise ClientError(
                "audience_mismatch",
                f"the challenge is for {audience}, but this client talks to {ours}",
                f"登录挑战的受众 {audience} 与所连接的地址不符",
            )
        signature = sign_challenge(self.keys, text, audience)
        answer = await self.http.post(f"{path}/login", {"challenge": text, "signature": signature})
        token = answer.get("token") if isinstance(answer, dict) else None
        if not isinstance(token, str):
            raise ClientError("bad_response", "the login answer has no token")
        self.http.token = token

    async def submit(self, tender_id: str, lot: str, sealed: bytes | Path) -> SignedDocument:
        """Upload a sealed file; keep and return the signed receipt once it names this bid.

        The receipt must name this very file and sign a deadline no earlier than the one the
        tender showed before the upload; otherwise it is not kept, so this client will never
        open the bid (the hub keeps it, and the bidder is told).
        """
        bid_sha256 = sealed_sha256(sealed)
        shown = (await self.tender(tender_id)).deadline
        data = sealed if isinstance(sealed, bytes) else _file_blocks(sealed)
        answer = await self.http.request(
            "PUT",
            f"/api/tenders/{tender_id}/lots/{lot}/bid",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        receipt = await self.verify(_member(answer, "receipt"), "receipt")
        kept = self._check_bid_document(receipt, tender_id, lot, bid_sha256)
        if kept.deadline is None or kept.deadline < shown:
            raise ClientError(
                "receipt_deadline_invalid",
                "the receipt does not sign the tender's deadline "
                f"({kept.deadline and kept.deadline.isoformat()} against {shown.isoformat()}); "
                "it is not kept and this client will not open the bid",
                "回执未签署招标项目的截止时间，不予保存，本机不会解密该投标",
            )
        self.book.keep(receipt)
        return receipt

    async def withdraw(self, tender_id: str, lot: str) -> SignedDocument:
        """Withdraw the current bid; the signed withdrawal is kept, so it is never opened."""
        answer = await self.http.request("DELETE", f"/api/tenders/{tender_id}/lots/{lot}/bid")
        withdrawal = await self.verify(_member(answer, "withdrawal"), "withdrawal")
        self._check_bid_document(withdrawal, tender_id, lot, None)
        self.book.keep(withdrawal)
        return withdrawal

    def _check_bid_document(
        self, document: SignedDocument, tender_id: str, lot: str, bid_sha256: str | None
    ) -> BidDocument:
        kept = BidDocument.from_payload(
            document.type, document.payload, b64u_decode(document.envelope["key"])
        )
        named = (kept.tender, kept.lot, kept.bidder)
        if named != (tender_id, lot, self.bidder_id) or (
            bid_sha256 is not None and kept.bid_sha256 != bid_sha256
        ):
            raise ClientError("document_invalid", f"the {document.type} names another bid")
        return kept

    async def my_bids(self, tender_id: str) -> list[dict[str, Any]]:
        answer = await self.http.get(f"/api/tenders/{tender_id}/bids/mine")
        bids = _member(answer, "bids")
        if not isinstance(bids, list):
            raise ClientError("bad_response", "unexpected bid list")
        return bids

    async def sign_in(self, session_id: str) -> bool:
        """Sign in to the opening; True if it was logged now (after the deadline)."""
        answer = await self.http.post(f"/api/sessions/{session_id}/sign-in")
        return bool(_member(answer, "logged"))

    def data_key(self, tender_id: str, lot: str, sealed: bytes | Path) -> bytes:
        """Unwrap the data key of our own sealed file; InvalidSealedBid if our keys cannot."""
        context = self.context(tender_id, lot)
        if isinstance(sealed, bytes):
            return unwrap_data_key(read_header(io.BytesIO(sealed)), self.keys, context)
        with sealed.open("rb") as stream:
            return unwrap_data_key(read_header(stream), self.keys, context)

    async def release(self, tender_id: str, lot: str, sealed: bytes | Path) -> KeyRelease:
        """What this client would open for (tender, lot) and from when, by its own documents.

        KeyReleaseRefused if it never will: no kept receipt, a replaced or withdrawn bid, a file
        that is not the bid of the latest receipt, or a notice moving the deadline earlier.
        The hub is asked only for signed postponement notices (checked against the receipt's
        key) and the deadline it states, and either can only make the client wait longer.
        """
        receipt = chosen_bid(
            self.book.documents, tender_id, lot, self.bidder_id, sealed_sha256(sealed)
        )
        notices = await self._postponements(tender_id, receipt)
        nonce = b64u_encode(secrets.token_bytes(18))
        statement = await self._deadline_statement(tender_id, receipt, nonce)
        stated = (await self.tender(tender_id)).deadline
        return plan_release(
            receipt, notices, (stated,), self.clock_margin, statement=statement, nonce=nonce
        )

    async def _deadline_statement(
        self, tender_id: str, receipt: BidDocument, nonce: str
    ) -> DeadlineStatement:
        answer = await self.http.get(f"/api/tenders/{tender_id}/deadline", {"nonce": nonce})
        try:
            payload = verify_document(_member(answer, "statement"), "deadline", receipt.key)
        except InvalidSignedDocument:
            raise KeyReleaseRefused(
                "notice_invalid",
                "the deadline statement does not verify with the key that signed the receipt",
                "截止时间声明签名验证失败",
            ) from None
        return DeadlineStatement.from_payload(payload, receipt.key)

    async def _postponements(self, tender_id: str, receipt: BidDocument) -> list[Postponement]:
        answer = await self.http.get(f"/api/tenders/{tender_id}/postponements")
        envelopes = _member(answer, "notices")
        if not isinstance(envelopes, list):
            raise ClientError("bad_response", "unexpected postponement list")
        notices = []
        for envelope in envelopes:
            try:
                payload = verify_document(envelope, "postponement", receipt.key)
            except InvalidSignedDocument:
                raise KeyReleaseRefused(
                    "notice_invalid",
                    "a postponement notice does not verify with the key that signed the receipt",
                    "延期通知签名验证失败",
                ) from None
            notices.append(Postponement.from_payload(payload, receipt.key))
        return notices

    async def decrypt(
        self,
        tender_id: str,
        lot: str,
        sealed: bytes | Path,
        release: KeyRelease | None = None,
    ) -> dict[str, Any]:
        """Hand the data key of our bid to the hub, if this client's own rules allow it now.

        Within the clock margin of the deadline it waits the margin out; earlier it refuses
        (`attend` waits for the deadline itself). KeyReleaseRefused says why not.
        """
        if release is None:
            release = await self.release(tender_id, lot, sealed)
        wait = (release.opens_at - self.clock()).total_seconds()
        if 0 < wait <= self.clock_margin.total_seconds():
            await asyncio.sleep(wait)
        check_time(release, self.clock())
        return await self.send_data_key(tender_id, lot, self.data_key(tender_id, lot, sealed))

    async def send_data_key(self, tender_id: str, lot: str, data_key: bytes) -> dict[str, Any]:
        answer = await self.http.post(
            f"/api/tenders/{tender_id}/lots/{lot}/data-key", {"data_key": b64u_encode(data_key)}
        )
        if not isinstance(answer, dict):
            raise ClientError("bad_response", "unexpected data-key answer")
        return answer

    async def confirm(self, session_id: str, readout: object = None) -> CommandResult:
        """Confirm the read-out, signed with our key over its hash (`readout`: as this client
        received it; None takes it from our view of the session)."""
        if readout is None:
            readout = (await self.snapshot(session_id)).view.get("readout")
        message = confirmation_message(session_id, self.bidder_id, readout_sha256(readout))
        body = {"signature": sign_statement(self.keys, message)}
        answer = await self.http.post(f"/api/sessions/{session_id}/bidder/confirm", body)
        return CommandResult.from_json(answer)

    async def object(self, session_id: str, text: str, lot: str | None = None) -> str:
        """Raise an objection to the read-out, signed with our key; return its id (answered
        by the host)."""
        nonce = b64u_encode(secrets.token_bytes(16))
        message = objection_message(session_id, self.bidder_id, lot, nonce, text)
        return await self._signed_objection(
            f"/api/sessions/{session_id}/bidder/object",
            {"lot": lot, "text": text, "nonce": nonce},
            message,
            "objection_raised",
        )

    async def object_to_result(self, session_id: str, lot: str, text: str) -> str:
        """Object to a lot's published result during its publicity, signed with our key;
        return the objection's id."""
        nonce = b64u_encode(secrets.token_bytes(16))
        message = result_objection_message(session_id, self.bidder_id, lot, nonce, text)
        return await self._signed_objection(
            f"/api/sessions/{session_id}/bidder/object_to_result",
            {"lot": lot, "text": text, "nonce": nonce},
            message,
            "result_objection_raised",
        )

    async def _signed_objection(
        self, path: str, body: dict[str, str | None], message: bytes, raised_kind: str
    ) -> str:
        body = {**body, "signature": sign_statement(self.keys, message)}
        answer = await self.http.post(path, body)
        raised = CommandResult.from_json(answer).first(raised_kind)
        if raised is None:
            raise ClientError("bad_response", "the objection was not recorded")
        return str(raised.data["objection_id"])

    async def rehearse(self) -> bool:
        """Prove before the deadline that this key file still unwraps (protocol 4, rehearsal)."""
        answer = await self.http.post("/api/bidders/me/rehearsal")
        try:
            rehearsal_id, envelope = str(answer["rehearsal_id"]), str(answer["envelope"])
        except (KeyError, TypeError):
            raise ClientError("bad_response", "unexpected rehearsal answer") from None
        try:
            key = open_rehearsal_envelope(envelope, self.keys, rehearsal_id, self.bidder_id)
        except InvalidSealedBid:
            # Answer anyway, so the hub records the failed rehearsal as the bidder saw it.
            key = secrets.token_bytes(32)
        answer = await self.http.post(
            f"/api/bidders/me/rehearsal/{rehearsal_id}", {"key": b64u_encode(key)}
        )
        return bool(_member(answer, "passed"))


async def _register(http: HubHttp, bundle: PublicBundle, org_name: str, contact: str) -> str:
    body = {"org_name": org_name, "contact": contact, "public_bundle": bundle.to_json()}
    bidder_id = _member(await http.post("/api/bidders", body), "bidder_id")
    if not isinstance(bidder_id, str):
        raise ClientError("bad_response", "the registration answer has no bidder_id")
    return bidder_id


async def register_bidder(base_url: str, bundle: PublicBundle, org_name: str, contact: str) -> str:
    """Register a public key bundle alone (no private key needed); returns the bidder id."""
    async with HubHttp(base_url) as http:
        return await _register(http, bundle, org_name, contact)


def _member(answer: Any, name: str) -> Any:
    if not isinstance(answer, dict) or name not in answer:
        raise ClientError("bad_response", f"the answer has no {name!r}: {str(answer)[:200]}")
    return answer[name]
