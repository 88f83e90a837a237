"""Layout, header and key schedule of the sealed-bid format, version 1 (docs section 2)."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bidseal.codec import b64u_decode, b64u_encode, canonical_json, has_lone_surrogate
from bidseal.errors import InvalidSealedBid
from bidseal.ids import ID_PATTERN, is_hub_id
from bidseal.p256 import POINT_LEN, SIGNATURE_LEN, load_point
from bidseal.strictjson import read_json

__all__ = [
    "CHUNK_SIZE_MAX",
    "CHUNK_SIZE_MIN",
    "CONTEXT_MAX_CHARS",
    "DATA_KEY_LEN",
    "DEFAULT_CHUNK_SIZE",
    "HEADER_LEN_MAX",
    "MAGIC",
    "MAX_CHUNKS",
    "NONCE_PREFIX_LEN",
    "PREAMBLE_LEN",
    "REHEARSAL_TENDER",
    "SIGNATURE_LEN",
    "SUITE",
    "SUMMARY_LEN_MAX",
    "SUMMARY_LEN_MIN",
    "SUMMARY_PLAINTEXT_MAX",
    "TAG_LEN",
    "VERSION",
    "WRAPPED_KEY_LEN",
    "BidContext",
    "SealHeader",
    "body_key",
    "chunk_count",
    "chunk_nonce",
    "decode_header",
    "hpke_info",
    "preamble",
    "summary_digest",
    "summary_key",
    "to_be_signed",
]

MAGIC = b"BIDSEAL"
VERSION = 1
SUITE = "P256-SHA256-AES256GCM"
PREAMBLE_LEN = len(MAGIC) + 1 + 4
HEADER_LEN_MAX = 65536
SUMMARY_PLAINTEXT_MAX = 65536
TAG_LEN = 16
SUMMARY_LEN_MIN = TAG_LEN
SUMMARY_LEN_MAX = SUMMARY_PLAINTEXT_MAX + TAG_LEN
CHUNK_SIZE_MIN = 64
CHUNK_SIZE_MAX = 16 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 1024 * 1024
NONCE_PREFIX_LEN = 7
DATA_KEY_LEN = 32
WRAPPED_KEY_LEN = POINT_LEN + DATA_KEY_LEN + TAG_LEN
MAX_CHUNKS = 2**32
CONTEXT_MAX_CHARS = 128
# Rehearsal envelopes wrap to this tender id (section 2.8); no sealed bid may use it,
# or a rehearsal could be used to get a real bid's data key unwrapped before the deadline.
REHEARSAL_TENDER = "rehearsal"

_DATA_KEY_INFO = b"bidseal/1 data-key"
_BODY_INFO = b"bidseal/1 body"
_SUMMARY_INFO = b"bidseal/1 summary"
_SIGNATURE_LABEL = b"bidseal/1 signature"
_HEADER_MEMBERS = (
    "v",
    "suite",
    "tender",
    "lot",
    "bidder",
    "chunk_size",
    "nonce_prefix",
    "wrapped_key",
    "recipient_key",
    "signer_key",
)


def _check_context_text(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    if not 1 <= len(value) <= CONTEXT_MAX_CHARS:
        raise ValueError(f"{name} must have 1 to {CONTEXT_MAX_CHARS} characters")
    if has_lone_surrogate(value):
        raise ValueError(f"{name} is not valid Unicode text")


@dataclass(frozen=True, slots=True)
class BidContext:
    """Which bid a sealed file is: tender, lot and bidder ids, bound into the key wrapping."""

    tender: str
    lot: str
    bidder: str

    def __post_init__(self) -> None:
        _check_context_text("tender", self.tender)
        _check_context_text("lot", self.lot)
        _check_context_text("bidder", self.bidder)

    @classmethod
    def parse(cls, text: str) -> BidContext:
        """``TENDER/LOT/BIDDER`` as given on the command line; each id matches `ID_PATTERN`.

        A hub's ids never contain ``/`` (nor anything else outside the pattern), so the
        split is exact; an id outside the pattern is refused here rather than sealed into
        a file that no hub would accept.
        """
        parts = text.split("/")
        if len(parts) != 3:
            raise ValueError("context must be TENDER/LOT/BIDDER")
        for name, part in zip(("tender", "lot", "bidder"), parts, strict=True):
            if not is_hub_id(part):
                raise ValueError(f"{name} id {part!r} does not match the id pattern {ID_PATTERN}")
        return cls(*parts)


def _lp(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">H", len(data)) + data


def hpke_info(context: BidContext) -> bytes:
    """HPKE ``info`` that ties a wrapped data key to one tender, lot and bidder (section 2.2)."""
    return _DATA_KEY_INFO + _lp(context.tender) + _lp(context.lot) + _lp(context.bidder)


@dataclass(frozen=True, slots=True)
class SealHeader:
    """The decoded header of a sealed file (section 2.1)."""

    context: BidContext
    chunk_size: int
    nonce_prefix: bytes
    wrapped_key: bytes
    recipient_key: bytes
    signer_key: bytes

    def __post_init__(self) -> None:
        if self.context.tender == REHEARSAL_TENDER:
            raise ValueError(f"the tender id {REHEARSAL_TENDER!r} is reserved for rehearsals")
        if type(self.chunk_size) is not int or not (
            CHUNK_SIZE_MIN <= self.chunk_size <= CHUNK_SIZE_MAX
        ):
            raise ValueError(f"chunk_size must be {CHUNK_SIZE_MIN}..{CHUNK_SIZE_MAX}")
        if len(self.nonce_prefix) != NONCE_PREFIX_LEN:
            raise ValueError(f"nonce_prefix must be {NONCE_PREFIX_LEN} bytes")
        if len(self.wrapped_key) != WRAPPED_KEY_LEN:
            raise ValueError(f"wrapped_key must be {WRAPPED_KEY_LEN} bytes")
        # load_point raises ValueError on anything that is not a P-256 point. The HPKE
        # enc is checked here too, without a key, so that a file no key can ever open
        # is refused at upload rather than at the opening (section 2.1).
        load_point(self.wrapped_key[:POINT_LEN])
        load_point(self.recipient_key)
        load_point(self.signer_key)

    def encode(self) -> bytes:
        """The header JSON exactly as writers store it: table order, no whitespace."""
        members: dict[str, object] = {
            "v": VERSION,
            "suite": SUITE,
            "tender": self.context.tender,
            "lot": self.context.lot,
            "bidder": self.context.bidder,
            "chunk_size": self.chunk_size,
            "nonce_prefix": b64u_encode(self.nonce_prefix),
            "wrapped_key": b64u_encode(self.wrapped_key),
            "recipient_key": b64u_encode(self.recipient_key),
            "signer_key": b64u_encode(self.signer_key),
        }
        return canonical_json(members).encode("utf-8")


def decode_header(raw: bytes) -> SealHeader:
    """Decode and check stored header bytes; InvalidSealedBid if they break section 2.1.

    The members may come in any order and with any JSON whitespace (the hash
    covers the bytes as stored), but JSON outside the profile (section 0.1;
    here no number may have a fraction or exponent: JavaScript reads ``1.0``
    as 1) and non-canonical base64url are refused so that every
    implementation reads the same values from the same bytes.
    """
    try:
        members = read_json(raw, integers_only=True)
        if not isinstance(members, dict) or set(members) != set(_HEADER_MEMBERS):
            raise ValueError("header members")
        if type(members["v"]) is not int or members["v"] != VERSION or members["suite"] != SUITE:
            raise ValueError("header version or suite")
        header = SealHeader(
            context=BidContext(members["tender"], members["lot"], members["bidder"]),
            chunk_size=members["chunk_size"],
            nonce_prefix=b64u_decode(members["nonce_prefix"]),
            wrapped_key=b64u_decode(members["wrapped_key"]),
            recipient_key=b64u_decode(members["recipient_key"]),
            signer_key=b64u_decode(members["signer_key"]),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidSealedBid from exc
    return header


def preamble(header_json: bytes) -> bytes:
    """Magic, version and header length: the bytes before the header."""
    return MAGIC + bytes((VERSION,)) + struct.pack(">I", len(header_json))


def _hkdf(data_key: bytes, info: bytes) -> bytes:
    if len(data_key) != DATA_KEY_LEN:
        raise ValueError(f"a data key is {DATA_KEY_LEN} bytes")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(data_key)


def body_key(data_key: bytes) -> bytes:
    """AES-256-GCM key of the body chunks (section 2.3)."""
    return _hkdf(data_key, _BODY_INFO)


def summary_key(data_key: bytes) -> bytes:
    """AES-256-GCM key of the sealed summary (section 2.3)."""
    return _hkdf(data_key, _SUMMARY_INFO)


def chunk_nonce(nonce_prefix: bytes, index: int, last: bool) -> bytes:
    """STREAM nonce: prefix, chunk counter and last-chunk flag (section 2.5)."""
    return nonce_prefix + struct.pack(">IB", index, 1 if last else 0)


def chunk_count(size: int, chunk_size: int) -> int:
    """Number of body chunks of a document of ``size`` bytes; an empty document has one."""
    return max(1, -(-size // chunk_size))


def summary_digest(summary_ct: bytes) -> bytes:
    """``H(u32(summary_len) || summary_ct)``, the summary's part of the signed message."""
    return hashlib.sha256(struct.pack(">I", len(summary_ct)) + summary_ct).digest()


def to_be_signed(header_hash: bytes, summary_hash: bytes, body_digest: bytes) -> bytes:
    """The 115-byte message the bidder signs (section 2.6)."""
    return _SIGNATURE_LABEL + header_hash + summary_hash + body_digest
