"""P-256 points, key ids and raw ``r || s`` ECDSA signatures as the formats store them."""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ORDER",
    "POINT_LEN",
    "SCALAR_LEN",
    "SIGNATURE_LEN",
    "key_id",
    "load_point",
    "point_of",
    "private_from_scalar",
    "scalar_of",
    "sign_raw",
    "verify_raw",
]

POINT_LEN = 65
SCALAR_LEN = 32
SIGNATURE_LEN = 64
# The order n of the P-256 group (FIPS 186-4, D.1.2.3).
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF_ORDER = ORDER // 2


def load_point(point: bytes) -> ec.EllipticCurvePublicKey:
    """The public key of a 65-byte uncompressed SEC1 point; ValueError if it is not on P-256."""
    if len(point) != POINT_LEN or point[0] != 0x04:
        raise ValueError("not an uncompressed P-256 point")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(point))


def point_of(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> bytes:
    """The 65-byte uncompressed point of a key."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def key_id(point: bytes) -> str:
    """``hex(SHA-256(point))``: the name of a public key in every document."""
    return hashlib.sha256(point).hexdigest()


def private_from_scalar(scalar: bytes) -> ec.EllipticCurvePrivateKey:
    """The private key of a 32-byte big-endian scalar; ValueError if out of range."""
    if len(scalar) != SCALAR_LEN:
        raise ValueError("a P-256 private scalar is 32 bytes")
    value = int.from_bytes(scalar, "big")
    if not 1 <= value < ORDER:
        raise ValueError("P-256 private scalar out of range")
    return ec.derive_private_key(value, ec.SECP256R1())


def scalar_of(key: ec.EllipticCurvePrivateKey) -> bytes:
    """The 32-byte big-endian private scalar."""
    return key.private_numbers().private_value.to_bytes(SCALAR_LEN, "big")


def sign_raw(
    key: ec.EllipticCurvePrivateKey, message: bytes, *, deterministic: bool = False
) -> bytes:
    """ECDSA-P256-SHA256 as ``r || s`` with s in the lower half of the order.

    Low s makes the signature non-malleable: nobody without the key can turn
    one valid signature into another (``(r, n - s)``), so a hash over a signed
    file names that file only. ``deterministic`` (RFC 6979) exists for test
    vectors; real signatures use fresh randomness.
    """
    der = key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=deterministic))
    r, s = decode_dss_signature(der)
    if s > _HALF_ORDER:
        s = ORDER - s
    return r.to_bytes(SCALAR_LEN, "big") + s.to_bytes(SCALAR_LEN, "big")


def verify_raw(
    public: ec.EllipticCurvePublicKey, message: bytes, signature: bytes, *, require_low_s: bool
) -> bool:
    """Check an ``r || s`` signature; high s is refused when ``require_low_s``."""
    if len(signature) != SIGNATURE_LEN:
        return False
    r = int.from_bytes(signature[:SCALAR_LEN], "big")
    s = int.from_bytes(signature[SCALAR_LEN:], "big")
    if not (1 <= r < ORDER and 1 <= s < ORDER):
        return False
    if require_low_s and s > _HALF_ORDER:
        return False
    try:
        public.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
