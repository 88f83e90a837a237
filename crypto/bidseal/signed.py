"""Documents the server signs (receipts, records, results) and their checks (docs section 4)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bidseal.codec import b64u_decode, b64u_encode, canonical_json
from bidseal.errors import InvalidSignedDocument
from bidseal.files import write_new_file
from bidseal.p256 import key_id, load_point, point_of, sign_raw, verify_raw
from bidseal.strictjson import read_json

__all__ = [
    "DOCUMENT_TYPES",
    "SIGNED_FORMAT",
    "ServerKey",
    "sign_document",
    "signed_message",
    "verify_document",
]

SIGNED_FORMAT = "bidseal-signed/1"
DOCUMENT_TYPES = frozenset(
    {
        "receipt",
        "withdrawal",
        "postponement",
        "deadline",
        "opening-record",
        "evaluation-result",
        "log-head",
    }
)
_ENVELOPE_MEMBERS = frozenset({"format", "type", "payload", "signature", "key"})


@dataclass(frozen=True, slots=True, eq=False)
class ServerKey:
    """The platform's P-256 signing key."""

    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> ServerKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def public_key(self) -> bytes:
        """The 65-byte point published at ``GET /api/server-key``."""
        return point_of(self.private)

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def to_pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the key as PKCS#8 PEM readable by its owner only; never overwrites."""
        write_new_file(path, self.to_pem(), mode=0o600)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ServerKey:
        """Load a PEM key; ValueError if it is not an unencrypted P-256 private key."""
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError(f"{path} is not a P-256 private key")
        return cls(key)

    def __repr__(self) -> str:
        return f"ServerKey(key_id={self.key_id!r})"


def signed_message(document_type: str, payload: str) -> bytes:
    """What the signature covers: format, type and the payload text exactly as sent."""
    return f"{SIGNED_FORMAT}\n{document_type}\n{payload}".encode()


def sign_document(
    document_type: str, payload: Mapping[str, object], key: ServerKey
) -> dict[str, str]:
    """A signed envelope around ``payload`` serialised as canonical JSON (sorted keys)."""
    if document_type not in DOCUMENT_TYPES:
        raise ValueError(f"unknown signed document type {document_type!r}")
    payload_text = canonical_json(payload, sort_keys=True)
    signature = sign_raw(key.private, signed_message(document_type, payload_text))
    return {
        "format": SIGNED_FORMAT,
        "type": document_type,
        "payload": payload_text,
        "signature": b64u_encode(signature),
        "key": b64u_encode(key.public_key),
    }


def verify_document(
    envelope: Mapping[str, object] | str | bytes,
    expected_type: str,
    trusted_public: bytes | None,
) -> dict[str, object]:
    """The payload of a valid envelope of ``expected_type``; InvalidSignedDocument otherwise.

    ``envelope`` is the parsed object or its JSON text (read under the JSON
    profile, section 0.1). With ``trusted_public`` None only the envelope's
    own key is used, which proves integrity but not who signed: pass the
    server key you trust.
    """
    try:
        members = read_json(envelope) if isinstance(envelope, str | bytes) else envelope
        if not isinstance(members, Mapping) or set(members) != _ENVELOPE_MEMBERS:
            raise ValueError("envelope members")
        payload = members["payload"]
        signature_text = members["signature"]
        key_text = members["key"]
        if (
            members["format"] != SIGNED_FORMAT
            or members["type"] != expected_type
            or not isinstance(payload, str)
            or not isinstance(signature_text, str)
            or not isinstance(key_text, str)
        ):
            raise ValueError("envelope values")
        key = b64u_decode(key_text)
        if trusted_public is not None and key != trusted_public:
            raise ValueError("untrusted key")
        message = signed_message(expected_type, payload)
        if not verify_raw(
            load_point(key), message, b64u_decode(signature_text), require_low_s=False
        ):
            raise ValueError("signature")
        # Parse only what the signature covered.
        parsed = read_json(payload)
        if not isinstance(parsed, dict):
            raise ValueError("payload is not an object")
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidSignedDocument from exc
    return parsed
