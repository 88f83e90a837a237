"""Sans-IO push parser of sealed files: structure and signature, with no key (docs section 3)."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from enum import Enum, auto
from typing import Protocol

from bidseal.errors import InvalidSealedBid
from bidseal.format import (
    HEADER_LEN_MAX,
    MAGIC,
    MAX_CHUNKS,
    PREAMBLE_LEN,
    SIGNATURE_LEN,
    SUMMARY_LEN_MAX,
    SUMMARY_LEN_MIN,
    TAG_LEN,
    VERSION,
    BidContext,
    SealHeader,
    decode_header,
    summary_digest,
    to_be_signed,
)
from bidseal.p256 import key_id, load_point, verify_raw

__all__ = ["BodyListener", "SealedBidInfo", "SealedBidReader"]

_EXPECTED_START = MAGIC + bytes((VERSION,))


class BodyListener(Protocol):
    """Receives the body as it is parsed: the bytes of each chunk, then where the chunk ends."""

    def body_start(self, header: SealHeader, header_hash: bytes, summary_ct: bytes) -> None: ...

    def chunk_bytes(self, data: memoryview) -> None: ...

    def chunk_end(self, index: int, last: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class SealedBidInfo:
    """What a whole, correctly signed sealed file declares; no secret is needed to learn it."""

    header: SealHeader
    header_hash: bytes
    summary_ct: bytes
    body_offset: int
    chunk_count: int
    size: int
    file_size: int
    signature: bytes
    bid_sha256: str

    @property
    def context(self) -> BidContext:
        return self.header.context

    @property
    def signer_key(self) -> bytes:
        return self.header.signer_key

    @property
    def recipient_key(self) -> bytes:
        return self.header.recipient_key

    @property
    def chunk_size(self) -> int:
        return self.header.chunk_size

    @property
    def last_chunk_size(self) -> int:
        """Plaintext bytes in the last chunk."""
        return self.size - (self.chunk_count - 1) * self.header.chunk_size

    def describe(self) -> dict[str, object]:
        """A JSON-ready description (what ``inspect --json`` prints)."""
        return {
            "tender": self.context.tender,
            "lot": self.context.lot,
            "bidder": self.context.bidder,
            "bid_sha256": self.bid_sha256,
            "signer_key_id": key_id(self.signer_key),
            "recipient_key_id": key_id(self.recipient_key),
            "size": self.size,
            "file_size": self.file_size,
            "chunk_size": self.chunk_size,
            "chunk_count": self.chunk_count,
            "last_chunk_size": self.last_chunk_size,
            "summary_ciphertext_size": len(self.summary_ct),
            "header_sha256": self.header_hash.hex(),
        }


class _Stage(Enum):
    PREAMBLE = auto()
    HEADER = auto()
    SUMMARY_LEN = auto()
    SUMMARY = auto()
    BODY = auto()
    FINISHED = auto()
    FAILED = auto()


class SealedBidReader:
    """Feed a sealed file in pieces of any size; ``finish()`` checks it whole and signed.

    Memory stays constant: the header and summary (at most 128 KiB), the
    64-byte lookahead that may be the signature, and running hashes. Body
    bytes go straight from the caller's buffer into SHA-256 (and to the
    optional listener) without being copied or kept, so the hub can check an
    upload as it streams it to disk.
    """

    def __init__(self, listener: BodyListener | None = None) -> None:
        self._listener = listener
        self._stage = _Stage.PREAMBLE
        self._head = bytearray()
        self._need = PREAMBLE_LEN
        self._header: SealHeader | None = None
        self._header_hash = b""
        self._summary_len = 0
        self._summary_ct = b""
        self._body_offset = 0
        self._received = 0
        # Body state: the held-back tail may be the signature until more bytes arrive.
        self._tail = b""
        self._full_chunk = 0
        self._fill = 0
        self._index = 0
        self._size = 0
        self._pending_end = False
        self._chunk_hash = hashlib.sha256()
        self._body_hash = hashlib.sha256()

    @property
    def header(self) -> SealHeader | None:
        """The header once its bytes are in (not yet authenticated until ``finish``)."""
        return self._header

    @property
    def header_hash(self) -> bytes:
        return self._header_hash

    @property
    def summary_ct(self) -> bytes | None:
        return self._summary_ct if self._stage in (_Stage.BODY, _Stage.FINISHED) else None

    @property
    def received(self) -> int:
        return self._received

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Parse the next bytes; raises InvalidSealedBid as soon as they cannot be a sealed file."""
        if self._stage is _Stage.FAILED:
            raise InvalidSealedBid
        if self._stage is _Stage.FINISHED:
            raise RuntimeError("SealedBidReader.feed after finish")
        try:
            view = memoryview(data).cast("B")
            self._received += len(view)
            self._advance(view)
        except BaseException:
            self._stage = _Stage.FAILED
            raise

    def finish(self) -> SealedBidInfo:
        """Declare the end of the file; check the last chunk and the signature."""
        if self._stage is _Stage.FAILED:
            raise InvalidSealedBid
        if self._stage is _Stage.FINISHED:
            raise RuntimeError("SealedBidReader.finish called twice")
        try:
            info = self._finish()
        except BaseException:
            self._stage = _Stage.FAILED
            raise
        self._stage = _Stage.FINISHED
        return info

    def _advance(self, view: memoryview) -> None:
        while view:
            if self._stage is _Stage.BODY:
                self._feed_body(view)
                return
            take = min(self._need - len(self._head), len(view))
            self._head += view[:take]
            view = view[take:]
            # Reject a foreign file at its first byte rather than after a whole upload.
            if self._stage is _Stage.PREAMBLE and not _EXPECTED_START.startswith(
                bytes(self._head[: len(_EXPECTED_START)])
            ):
                raise InvalidSealedBid
            if len(self._head) == self._need:
                self._complete_head_part()

    def _complete_head_part(self) -> None:
        head = self._head
        if self._stage is _Stage.PREAMBLE:
            (header_len,) = struct.unpack_from(">I", head, len(_EXPECTED_START))
            if not 1 <= header_len <= HEADER_LEN_MAX:
                raise InvalidSealedBid
            self._stage, self._need = _Stage.HEADER, PREAMBLE_LEN + header_len
        elif self._stage is _Stage.HEADER:
            self._header = decode_header(bytes(head[PREAMBLE_LEN:]))
            self._header_hash = hashlib.sha256(head).digest()
            self._stage, self._need = _Stage.SUMMARY_LEN, len(head) + 4
        elif self._stage is _Stage.SUMMARY_LEN:
            (self._summary_len,) = struct.unpack_from(">I", head, len(head) - 4)
            if not SUMMARY_LEN_MIN <= self._summary_len <= SUMMARY_LEN_MAX:
                raise InvalidSealedBid
            self._stage, self._need = _Stage.SUMMARY, len(head) + self._summary_len
        elif self._stage is _Stage.SUMMARY:
            assert self._header is not None
            self._summary_ct = bytes(head[len(head) - self._summary_len :])
            self._body_offset = len(head)
            self._full_chunk = self._header.chunk_size + TAG_LEN
            self._head = bytearray()
            self._stage = _Stage.BODY
            if self._listener is not None:
                self._listener.body_start(self._header, self._header_hash, self._summary_ct)

    def _feed_body(self, view: memoryview) -> None:
        held = len(self._tail)
        release = held + len(view) - SIGNATURE_LEN
        if release <= 0:
            self._tail += view
            return
        from_tail = min(release, held)
        if from_tail:
            self._release(memoryview(self._tail)[:from_tail])
        from_view = release - from_tail
        self._release(view[:from_view])
        self._tail = self._tail[from_tail:] + view[from_view:]

    def _release(self, data: memoryview) -> None:
        """Assign body bytes known not to be part of the signature to their chunks."""
        full = self._full_chunk
        listener = self._listener
        pos, end = 0, len(data)
        while pos < end:
            if self._pending_end:
                # Bytes follow a full chunk, so that chunk was not the last one.
                if self._index >= MAX_CHUNKS:
                    raise InvalidSealedBid
                self._pending_end = False
                if listener is not None:
                    listener.chunk_end(self._index - 1, False)
            take = min(full - self._fill, end - pos)
            piece = data[pos : pos + take]
            self._chunk_hash.update(piece)
            if listener is not None:
                listener.chunk_bytes(piece)
            self._fill += take
            pos += take
            if self._fill == full:
                self._close_chunk()
                self._pending_end = True

    def _close_chunk(self) -> None:
        self._body_hash.update(self._chunk_hash.digest())
        self._size += self._fill - TAG_LEN
        self._index += 1
        self._fill = 0
        self._chunk_hash = hashlib.sha256()

    def _finish(self) -> SealedBidInfo:
        if self._stage is not _Stage.BODY or len(self._tail) != SIGNATURE_LEN:
            raise InvalidSealedBid
        if self._pending_end and self._fill == 0:
            last_index = self._index - 1
        elif self._fill > TAG_LEN or (self._fill == TAG_LEN and self._index == 0):
            last_index = self._index
            self._close_chunk()
        else:
            # Shorter than a tag, or an empty last chunk after whole chunks: a document
            # whose size is a multiple of chunk_size has one encoding, ending in a full
            # chunk (section 2.5), and an empty chunk is the empty document only.
            raise InvalidSealedBid
        header = self._header
        assert header is not None
        signature = bytes(self._tail)
        tbs = to_be_signed(
            self._header_hash, summary_digest(self._summary_ct), self._body_hash.digest()
        )
        if not verify_raw(load_point(header.signer_key), tbs, signature, require_low_s=False):
            raise InvalidSealedBid
        if self._listener is not None:
            self._listener.chunk_end(last_index, True)
        return SealedBidInfo(
            header=header,
            header_hash=self._header_hash,
            summary_ct=self._summary_ct,
            body_offset=self._body_offset,
            chunk_count=last_index + 1,
            size=self._size,
            file_size=self._received,
            signature=signature,
            bid_sha256=hashlib.sha256(tbs + signature).hexdigest(),
        )
