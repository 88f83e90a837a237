"""What a bidder signs: its confirmation of the read-out, an objection during the opening, and
an objection to a lot's published result.

Each message is a domain string (its own, never the sign-in's), a line break, and the
canonical JSON (sorted keys, no spaces, UTF-8) of what is said, so no statement can be
taken for another and no field can run into the next. The signature is ECDSA P-256 SHA-256
``r || s`` by the bidder's signing key, the key it signs in with (docs/protocol.md).
"""

from __future__ import annotations

import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

from bidseal.codec import b64u_decode, b64u_encode
from bidseal.keys import BidderKeys
from bidseal.p256 import load_point, sign_raw, verify_raw

__all__ = [
    "CONFIRMATION_LABEL",
    "OBJECTION_LABEL",
    "RESULT_OBJECTION_LABEL",
    "confirmation_message",
    "objection_message",
    "readout_sha256",
    "result_objection_message",
    "sign_statement",
    "verify_statement",
]

CONFIRMATION_LABEL = "bidopen-confirmation/1"
OBJECTION_LABEL = "bidopen-objection/1"
RESULT_OBJECTION_LABEL = "bidopen-result-objection/1"


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _message(label: str, fields: dict[str, str | None]) -> bytes:
    return f"{label}\n{_canonical(fields)}".encode()


def readout_sha256(readout: object) -> str:
    """What a confirmation is about: SHA-256 (hex) of the read-out as canonical JSON (the
    opening record's `readout` member, the `read_out` event's `lots`, a view's `readout`)."""
    return hashlib.sha256(_canonical(readout).encode()).hexdigest()


def confirmation_message(session: str, bidder: str, readout_sha256: str) -> bytes:
    """The bidder confirms the read-out whose hash is `readout_sha256` (the record's
    `readout` member, hashed as canonical JSON) in this session."""
    return _message(
        CONFIRMATION_LABEL,
        {"session": session, "bidder": bidder, "readout_sha256": readout_sha256},
    )


def objection_message(session: str, bidder: str, lot: str | None, nonce: str, text: str) -> bytes:
    """The bidder objects with `text` (about `lot`, or the whole opening when None); the
    bidder's random `nonce` makes each objection one of a kind (the hub takes it once)."""
    return _message(
        OBJECTION_LABEL,
        {"session": session, "bidder": bidder, "lot": lot, "nonce": nonce, "text": text},
    )


def result_objection_message(session: str, bidder: str, lot: str, nonce: str, text: str) -> bytes:
    """The bidder objects with `text` to the published result of `lot`; the `nonce` makes
    each objection one of a kind (the hub takes it once)."""
    return _message(
        RESULT_OBJECTION_LABEL,
        {"session": session, "bidder": bidder, "lot": lot, "nonce": nonce, "text": text},
    )


def sign_statement(keys: BidderKeys, message: bytes) -> str:
    """b64u ``r || s`` over a statement message."""
    return b64u_encode(sign_raw(keys.signing_private, message))


def verify_statement(signing_public: bytes, message: bytes, signature_b64u: str) -> bool:
    """True only for a valid signature by ``signing_public``; malformed input is False.

    High s is accepted: browsers sign with WebCrypto, which does not normalise s.
    """
    try:
        public: EllipticCurvePublicKey = load_point(signing_public)
        signature = b64u_decode(signature_b64u)
    except (ValueError, TypeError, UnicodeError):
        return False
    return verify_raw(public, message, signature, require_low_s=False)
