"""HPKE wrapping of data keys to a bidder's encryption key, and rehearsal envelopes."""

from __future__ import annotations

import hmac
import secrets

from cryptography.hazmat.primitives import hpke

from bidseal.codec import b64u_decode, b64u_encode
from bidseal.errors import InvalidSealedBid
from bidseal.format import (
    DATA_KEY_LEN,
    REHEARSAL_TENDER,
    WRAPPED_KEY_LEN,
    BidContext,
    hpke_info,
)
from bidseal.keys import BidderKeys, PublicBundle
from bidseal.p256 import load_point

__all__ = [
    "check_rehearsal_answer",
    "make_rehearsal_envelope",
    "open_rehearsal_envelope",
    "rehearsal_context",
    "unwrap_wrapped_key",
    "wrap_data_key",
]

_SUITE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def _wrap(key: bytes, recipient_key: bytes, info: bytes) -> bytes:
    if len(key) != DATA_KEY_LEN:
        raise ValueError(f"a data key is {DATA_KEY_LEN} bytes")
    return _SUITE.encrypt(key, load_point(recipient_key), info=info)


def _unwrap(wrapped: bytes, keys: BidderKeys, info: bytes) -> bytes:
    if len(wrapped) != WRAPPED_KEY_LEN:
        raise InvalidSealedBid
    try:
        key = _SUITE.decrypt(wrapped, keys.encryption_private, info=info)
    except Exception as exc:
        # Any HPKE failure (bad point, tag, context) is the one opaque error.
        raise InvalidSealedBid from exc
    if len(key) != DATA_KEY_LEN:
        raise InvalidSealedBid
    return key


def wrap_data_key(data_key: bytes, recipient_key: bytes, context: BidContext) -> bytes:
    """``enc || ct`` (113 bytes): ``data_key`` sealed to ``recipient_key`` for ``context``."""
    return _wrap(data_key, recipient_key, hpke_info(context))


def unwrap_wrapped_key(wrapped: bytes, keys: BidderKeys, context: BidContext) -> bytes:
    """The data key inside ``wrapped``; InvalidSealedBid for a wrong key or context."""
    return _unwrap(wrapped, keys, hpke_info(context))


def rehearsal_context(challenge_id: str, bidder: str) -> BidContext:
    """The context a rehearsal envelope is wrapped for: the reserved tender id "rehearsal"."""
    return BidContext(REHEARSAL_TENDER, challenge_id, bidder)


def make_rehearsal_envelope(
    public: PublicBundle, challenge_id: str, bidder: str
) -> tuple[str, bytes]:
    """A random key wrapped to the bidder (b64u) and the key the bidder must give back.

    Before the deadline the platform proves that a bidder can still unwrap
    with its key file, without ever touching a real bid.
    """
    expected = secrets.token_bytes(DATA_KEY_LEN)
    envelope = wrap_data_key(
        expected, public.encryption_key, rehearsal_context(challenge_id, bidder)
    )
    return b64u_encode(envelope), expected


def open_rehearsal_envelope(
    envelope_b64u: str, keys: BidderKeys, challenge_id: str, bidder: str
) -> bytes:
    """The bidder's side of a rehearsal; InvalidSealedBid if the envelope is not for this key."""
    try:
        envelope = b64u_decode(envelope_b64u)
    except ValueError as exc:
        raise InvalidSealedBid from exc
    return unwrap_wrapped_key(envelope, keys, rehearsal_context(challenge_id, bidder))


def check_rehearsal_answer(expected: bytes, answer: bytes) -> bool:
    """Constant-time comparison of the returned key with the expected one."""
    return hmac.compare_digest(expected, answer)
