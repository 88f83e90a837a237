"""Opening a sealed bid: unwrap its data key (bidder side), decrypt and verify it (server side)."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bidseal.errors import InvalidSealedBid
from bidseal.files import atomic_output
from bidseal.format import (
    DATA_KEY_LEN,
    TAG_LEN,
    BidContext,
    SealHeader,
    body_key,
    chunk_nonce,
    summary_key,
)
from bidseal.keys import BidderKeys
from bidseal.reader import SealedBidInfo, SealedBidReader
from bidseal.streams import read_block
from bidseal.summary import decode_summary
from bidseal.wrapping import unwrap_wrapped_key

__all__ = [
    "DocumentStream",
    "OpenedBid",
    "open_file",
    "open_sealed",
    "read_header",
    "unwrap_data_key",
]

_READ_BLOCK = 1024 * 1024
_SUMMARY_NONCE = bytes(12)


@dataclass(frozen=True, slots=True)
class OpenedBid:
    """A bid whose every chunk and summary verified under its data key."""

    summary: dict[str, object]
    size: int
    bid_sha256: str
    info: SealedBidInfo


def read_header(sealed: BinaryIO) -> SealHeader:
    """Read just enough of a sealed stream to decode its header (not yet authenticated)."""
    reader = SealedBidReader()
    block = bytearray(4096)
    while reader.header is None:
        count = read_block(sealed, block)
        if not count:
            raise InvalidSealedBid
        reader.feed(memoryview(block)[:count])
    return reader.header


def unwrap_data_key(
    source: SealHeader | SealedBidInfo | BinaryIO, keys: BidderKeys, context: BidContext
) -> bytes:
    """The 32-byte data key of a sealed bid, for the expected tender, lot and bidder.

    This is what the bidder's client does at the opening. InvalidSealedBid if
    the file is for another context or another key, or was tampered with.
    """
    if isinstance(source, SealHeader):
        header = source
    elif isinstance(source, SealedBidInfo):
        header = source.header
    else:
        header = read_header(source)
    if header.context != context or header.recipient_key != keys.public.encryption_key:
        raise InvalidSealedBid
    return unwrap_wrapped_key(header.wrapped_key, keys, context)


class _ChunkOpener:
    """Collects each chunk's bytes from the reader and decrypts it once its end is known."""

    def __init__(self, data_key: bytes, out: BinaryIO | None) -> None:
        self._data_key = data_key
        self._out = out
        self._cipher = AESGCM(body_key(data_key))
        self._nonce_prefix = b""
        self._header_hash = b""
        self._sealed = bytearray()
        self._plain = bytearray()
        self._fill = 0
        self.summary: dict[str, object] | None = None

    def body_start(self, header: SealHeader, header_hash: bytes, summary_ct: bytes) -> None:
        try:
            plaintext = AESGCM(summary_key(self._data_key)).decrypt(
                _SUMMARY_NONCE, summary_ct, header_hash
            )
            self.summary = decode_summary(plaintext)
        except (InvalidTag, ValueError) as exc:
            raise InvalidSealedBid from exc
        self._nonce_prefix = header.nonce_prefix
        self._header_hash = header_hash
        self._sealed = bytearray(header.chunk_size + TAG_LEN)
        self._plain = bytearray(header.chunk_size)

    def chunk_bytes(self, data: memoryview) -> None:
        end = self._fill + len(data)
        self._sealed[self._fill : end] = data
        self._fill = end

    def chunk_end(self, index: int, last: bool) -> None:
        plain = memoryview(self._plain)[: self._fill - TAG_LEN]
        try:
            self._cipher.decrypt_into(
                chunk_nonce(self._nonce_prefix, index, last),
                memoryview(self._sealed)[: self._fill],
                self._header_hash,
                plain,
            )
        except InvalidTag as exc:
            raise InvalidSealedBid from exc
        self._fill = 0
        if self._out is not None:
            self._out.write(plain)


def open_sealed(sealed: BinaryIO, data_key: bytes, out: BinaryIO | None = None) -> OpenedBid:
    """Verify and decrypt a sealed bid with its data key; plaintext goes to ``out`` if given.

    Every chunk is checked even when ``out`` is None. Plaintext written to
    ``out`` is only trustworthy once this returns; ``open_file`` takes care of
    that by writing to a temporary file.
    """
    if len(data_key) != DATA_KEY_LEN:
        raise InvalidSealedBid
    opener = _ChunkOpener(data_key, out)
    reader = SealedBidReader(opener)
    block = bytearray(_READ_BLOCK)
    view = memoryview(block)
    while count := read_block(sealed, block):
        reader.feed(view[:count])
    info = reader.finish()
    assert opener.summary is not None
    return OpenedBid(summary=opener.summary, size=info.size, bid_sha256=info.bid_sha256, info=info)


class DocumentStream:
    """Open a sealed bid piece by piece, for a reader that passes the document on as it goes.

    Each ``feed`` returns the plaintext of the chunks that verified so far. The
    last chunk comes only from ``finish``, once the bidder's signature (and the
    expected bid hash, if given) verified: whoever forwards every piece never
    forwards a document that looks whole from a file that fails at its end.
    Memory stays at about two chunks whatever the size of the document.
    """

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_LEN:
            raise InvalidSealedBid
        self._plain = io.BytesIO()
        self._reader = SealedBidReader(_ChunkOpener(data_key, self._plain))

    def feed(self, data: bytes | bytearray | memoryview) -> bytes:
        """The next bytes of the sealed file in; verified plaintext (maybe empty) out."""
        self._reader.feed(data)
        return self._take()

    def finish(self, expected_bid_sha256: str | None = None) -> tuple[bytes, SealedBidInfo]:
        """The last plaintext and what the file declares; InvalidSealedBid if it fails."""
        info = self._reader.finish()
        if expected_bid_sha256 is not None and info.bid_sha256 != expected_bid_sha256:
            raise InvalidSealedBid
        return self._take(), info

    def _take(self) -> bytes:
        plain = self._plain.getvalue()
        self._plain.seek(0)
        self._plain.truncate()
        return plain


def open_file(
    sealed_path: str | os.PathLike[str],
    data_key: bytes,
    out_path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> OpenedBid:
    """``open_sealed`` between files; the document appears only after the last chunk verified."""
    with open(sealed_path, "rb") as sealed, atomic_output(out_path, overwrite=overwrite) as out:
        return open_sealed(sealed, data_key, out)
