"""The bidder's client: register keys, sign in by challenge, upload sealed bids, take part."""

from __future__ import annotations

import io
import secrets
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bidopen.client.base import HubClient
from bidopen.client.documents import SignedDocument
from bidopen.client.errors import ClientError
from bidopen.client.host import CommandResult
from bidopen.client.rest import HubHttp
from bidseal import (
    BidContext,
    BidderKeys,
    InvalidSealedBid,
    PublicBundle,
    SealHeader,
    SealResult,
    open_rehearsal_envelope,
    read_header,
    seal,
    sign_challenge,
    unwrap_data_key,
)
from bidseal.codec import b64u_encode

_UPLOAD_BLOCK = 256 * 1024


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _file_blocks(path: Path) -> AsyncIterator[bytes]:
    # Reads block by block so that a sealed file of gigabytes uploads in constant memory.
    with path.open("rb") as sealed:
        while block := sealed.read(_UPLOAD_BLOCK):
            yield block


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
        base_url: str,
        keys: BidderKeys,
        bidder_id: str | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        super().__init__(base_url, session=session)
        self.keys = keys
        self._bidder_id = bidder_id

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
        """Upload a sealed file; return the signed receipt after checking it names this bid."""
        data = sealed if isinstance(sealed, bytes) else _file_blocks(sealed)
        answer = await self.http.request(
            "PUT",
            f"/api/tenders/{tender_id}/lots/{lot}/bid",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        receipt = await self.verify(_member(answer, "receipt"), "receipt")
        expected = {"tender": tender_id, "lot": lot, "bidder": self.bidder_id}
        if any(receipt.payload.get(k) != v for k, v in expected.items()):
            raise ClientError("document_invalid", "the receipt names another bid")
        return receipt

    async def withdraw(self, tender_id: str, lot: str) -> SignedDocument:
        answer = await self.http.request("DELETE", f"/api/tenders/{tender_id}/lots/{lot}/bid")
        return await self.verify(_member(answer, "withdrawal"), "withdrawal")

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

    def data_key(self, tender_id: str, lot: str, sealed: SealHeader | bytes | Path) -> bytes:
        """Unwrap the data key of our own sealed file; InvalidSealedBid if our keys cannot."""
        context = self.context(tender_id, lot)
        if isinstance(sealed, SealHeader):
            return unwrap_data_key(sealed, self.keys, context)
        if isinstance(sealed, bytes):
            return unwrap_data_key(read_header(io.BytesIO(sealed)), self.keys, context)
        with sealed.open("rb") as stream:
            return unwrap_data_key(read_header(stream), self.keys, context)

    async def decrypt(
        self, tender_id: str, lot: str, sealed: SealHeader | bytes | Path
    ) -> dict[str, Any]:
        """Hand the data key of our bid to the hub during the decryption window."""
        return await self.send_data_key(tender_id, lot, self.data_key(tender_id, lot, sealed))

    async def send_data_key(self, tender_id: str, lot: str, data_key: bytes) -> dict[str, Any]:
        answer = await self.http.post(
            f"/api/tenders/{tender_id}/lots/{lot}/data-key", {"data_key": b64u_encode(data_key)}
        )
        if not isinstance(answer, dict):
            raise ClientError("bad_response", "unexpected data-key answer")
        return answer

    async def confirm(self, session_id: str) -> CommandResult:
        answer = await self.http.post(f"/api/sessions/{session_id}/bidder/confirm")
        return CommandResult.from_json(answer)

    async def object(self, session_id: str, text: str, lot: str | None = None) -> str:
        """Raise an objection to the read-out; return its id (answered by the host)."""
        answer = await self.http.post(
            f"/api/sessions/{session_id}/bidder/object", {"lot": lot, "text": text}
        )
        raised = CommandResult.from_json(answer).first("objection_raised")
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
