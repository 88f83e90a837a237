"""Bidder sign-in: the bidder signs the hub's challenge with its signing key."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

from bidseal.codec import b64u_decode, b64u_encode
from bidseal.keys import BidderKeys
from bidseal.p256 import load_point, sign_raw, verify_raw

__all__ = ["AUTH_LABEL", "challenge_message", "sign_challenge", "verify_challenge_signature"]

AUTH_LABEL = "bidopen-auth/1"


def challenge_message(challenge: str, audience: str) -> bytes:
    """The signed text; the audience (the hub's origin) stops replaying it at another hub."""
    return f"{AUTH_LABEL}\n{audience}\n{challenge}".encode()


def sign_challenge(keys: BidderKeys, challenge: str, audience: str) -> str:
    """b64u ``r || s`` over the challenge message."""
    return b64u_encode(sign_raw(keys.signing_private, challenge_message(challenge, audience)))


def verify_challenge_signature(
    signing_public: bytes, challenge: str, audience: str, signature_b64u: str
) -> bool:
    """True only for a valid signature by ``signing_public``; any malformed input is False.

    High-s signatures are accepted: browsers sign with WebCrypto, which does not normalise s.
    """
    try:
        public: EllipticCurvePublicKey = load_point(signing_public)
        signature = b64u_decode(signature_b64u)
        message = challenge_message(challenge, audience)
    except (ValueError, TypeError, UnicodeError):
        return False
    return verify_raw(public, message, signature, require_low_s=False)
