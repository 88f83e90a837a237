"""Helpers of the bidseal tests: sealing in memory, splitting a sealed file, re-signing it."""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass, replace

from bidseal import (
    BidContext,
    BidderKeys,
    OpenedBid,
    SealedBidInfo,
    SealedBidReader,
    generate_keys,
    open_sealed,
    seal,
    unwrap_data_key,
)
from bidseal.format import PREAMBLE_LEN, SIGNATURE_LEN, TAG_LEN, summary_digest, to_be_signed
from bidseal.p256 import sign_raw

FAST_ITERATIONS = 1000
CONTEXT = BidContext("ZB-2026-0001", "标段1", "北京某某建设有限公司")
SUMMARY: Mapping[str, object] = {
    "items": {"price": "1234567.89", "duration_days": "180"},
    "document": {"name": "投标文件.pdf", "type": "application/pdf"},
}
# One key pair for the whole run: generating keys is not what these tests check.
KEYS = generate_keys()
OTHER_KEYS = generate_keys()


def seal_bytes(
    document: bytes,
    *,
    keys: BidderKeys = KEYS,
    context: BidContext = CONTEXT,
    chunk_size: int = 64,
    summary: Mapping[str, object] = SUMMARY,
) -> bytes:
    out = io.BytesIO()
    seal(
        io.BytesIO(document),
        out,
        keys=keys,
        context=context,
        summary=summary,
        chunk_size=chunk_size,
    )
    return out.getvalue()


def read_info(sealed: bytes, piece: int = 1 << 20) -> SealedBidInfo:
    reader = SealedBidReader()
    for start in range(0, len(sealed), piece):
        reader.feed(sealed[start : start + piece])
    return reader.finish()


def open_bytes(
    sealed: bytes, *, keys: BidderKeys = KEYS, context: BidContext = CONTEXT
) -> tuple[bytes, OpenedBid]:
    data_key = unwrap_data_key(io.BytesIO(sealed), keys, context)
    out = io.BytesIO()
    opened = open_sealed(io.BytesIO(sealed), data_key, out)
    return out.getvalue(), opened


@dataclass(frozen=True)
class Parts:
    """A sealed file cut along the boundaries of section 2 of the format."""

    head: bytes  # magic, version, header_len, header
    summary_ct: bytes
    chunks: tuple[bytes, ...]
    signature: bytes

    @property
    def header_len(self) -> int:
        return len(self.head) - PREAMBLE_LEN

    def join(self) -> bytes:
        summary_block = struct.pack(">I", len(self.summary_ct)) + self.summary_ct
        return self.head + summary_block + b"".join(self.chunks) + self.signature

    def resigned(self, keys: BidderKeys = KEYS, chunk_size: int = 64) -> Parts:
        """The same parts with a fresh valid signature: what a bidder could make of a tampered file.

        The body is re-cut as a reader cuts it (section 2.5), since that is what gets hashed.
        """
        body = b"".join(self.chunks)
        full = chunk_size + TAG_LEN
        cut = []
        while len(body) > full:
            cut.append(body[:full])
            body = body[full:]
        cut.append(body)
        body = hashlib.sha256(b"".join(hashlib.sha256(c).digest() for c in cut)).digest()
        tbs = to_be_signed(
            hashlib.sha256(self.head).digest(), summary_digest(self.summary_ct), body
        )
        return replace(self, signature=sign_raw(keys.signing_private, tbs))


def split(sealed: bytes) -> Parts:
    info = read_info(sealed)
    head_end = PREAMBLE_LEN + int.from_bytes(sealed[8:12], "big")
    body = sealed[info.body_offset : len(sealed) - SIGNATURE_LEN]
    full = info.chunk_size + TAG_LEN
    chunks = tuple(body[i : i + full] for i in range(0, len(body), full))
    return Parts(
        head=sealed[:head_end],
        summary_ct=info.summary_ct,
        chunks=chunks,
        signature=sealed[-SIGNATURE_LEN:],
    )


def with_header(parts: Parts, header_json: bytes) -> Parts:
    """Replace the header JSON (and its length) of a file."""
    head = parts.head[:8] + struct.pack(">I", len(header_json)) + header_json
    return replace(parts, head=head)
