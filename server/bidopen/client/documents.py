"""Signed documents from the hub (receipts, withdrawals, the opening record), checked on arrival."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bidopen.client.errors import ClientError
from bidseal import InvalidSignedDocument, verify_document
from bidseal.codec import b64u_decode
from bidseal.strictjson import StrictJsonError, read_json


@dataclass(frozen=True)
class ServerKeyInfo:
    """The hub's signing key as `GET /api/server-key` describes it."""

    key: bytes
    key_id: str

    @classmethod
    def from_json(cls, value: Any) -> ServerKeyInfo:
        try:
            return cls(key=b64u_decode(value["key"]), key_id=str(value["key_id"]))
        except (KeyError, TypeError, ValueError):
            raise ClientError("bad_response", f"unexpected server key: {value!r:.200}") from None


@dataclass(frozen=True)
class SignedDocument:
    """A verified envelope: its payload and the SHA-256 of the payload text that was signed."""

    type: str
    payload: Mapping[str, Any]
    sha256: str
    envelope: Mapping[str, str] = field(repr=False)

    def to_json(self) -> str:
        return json.dumps(dict(self.envelope), ensure_ascii=False)


def verify_signed(envelope: Any, expected_type: str, server: ServerKeyInfo) -> SignedDocument:
    """Check the signature with the hub's key; ClientError("document_invalid") otherwise."""
    if isinstance(envelope, str):
        # Read under the format's JSON profile (duplicate names, NaN, depth are refused),
        # as the browser reads it, before anything is taken from it.
        try:
            envelope = read_json(envelope)
        except StrictJsonError as error:
            raise ClientError(
                "document_invalid", f"the signed document is not profile JSON: {error}"
            ) from None
    if not isinstance(envelope, dict):
        raise ClientError("document_invalid", "the signed document is not a JSON object")
    try:
        payload = verify_document(envelope, expected_type, server.key)
    except InvalidSignedDocument as error:
        raise ClientError(
            "document_invalid",
            f"the {expected_type} does not verify with the hub's key: {error}",
            f"{expected_type} 签名验证失败",
        ) from None
    text = envelope["payload"]
    return SignedDocument(
        type=expected_type,
        payload=payload,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        envelope=envelope,
    )
