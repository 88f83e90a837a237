"""Sealing a bid document: streaming, constant memory, signed by the bidder (docs section 2)."""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bidseal.files import atomic_output
from bidseal.format import (
    CHUNK_SIZE_MAX,
    CHUNK_SIZE_MIN,
    DATA_KEY_LEN,
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNKS,
    NONCE_PREFIX_LEN,
    TAG_LEN,
    BidContext,
    SealHeader,
    body_key,
    chunk_nonce,
    preamble,
    summary_digest,
    summary_key,
    to_be_signed,
)
from bidseal.keys import BidderKeys
from bidseal.p256 import sign_raw
from bidseal.streams import read_block
from bidseal.summary import encode_summary
from bidseal.wrapping import wrap_data_key

__all__ = ["FixedSealInputs", "SealResult", "seal", "seal_file"]

_SUMMARY_NONCE = bytes(12)


@dataclass(frozen=True, slots=True)
class SealResult:
    """What the bidder keeps after sealing: the bid hash names the sealed file."""

    bid_sha256: str
    size: int
    file_size: int
    header: SealHeader


@dataclass(frozen=True, slots=True)
class FixedSealInputs:
    """The random inputs of a seal, fixed so that test vectors are byte-exact. Never in production.

    ``wrapped_key`` must wrap ``data_key`` for the context (HPKE's ephemeral
    key cannot be chosen through ``cryptography``), and the signature is then
    made deterministic (RFC 6979).
    """

    data_key: bytes
    nonce_prefix: bytes
    wrapped_key: bytes

    def __post_init__(self) -> None:
        if len(self.data_key) != DATA_KEY_LEN or len(self.nonce_prefix) != NONCE_PREFIX_LEN:
            raise ValueError("fixed data key is 32 bytes and nonce prefix 7 bytes")


def seal(
    document: BinaryIO,
    out: BinaryIO,
    *,
    keys: BidderKeys,
    context: BidContext,
    summary: Mapping[str, object],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    fixed: FixedSealInputs | None = None,
) -> SealResult:
    """Seal ``document`` to the bidder's own encryption key and sign it; writes to ``out``.

    Raises ValueError (with a reason) for a bad summary or chunk size before
    anything is written; the document is read once, one chunk at a time.
    """
    if type(chunk_size) is not int or not CHUNK_SIZE_MIN <= chunk_size <= CHUNK_SIZE_MAX:
        raise ValueError(f"chunk size must be {CHUNK_SIZE_MIN}..{CHUNK_SIZE_MAX} bytes")
    summary_plaintext = encode_summary(summary)
    public = keys.public
    if fixed is None:
        data_key = secrets.token_bytes(DATA_KEY_LEN)
        nonce_prefix = secrets.token_bytes(NONCE_PREFIX_LEN)
        wrapped_key = wrap_data_key(data_key, public.encryption_key, context)
    else:
        data_key, nonce_prefix, wrapped_key = fixed.data_key, fixed.nonce_prefix, fixed.wrapped_key
    header = SealHeader(
        context=context,
        chunk_size=chunk_size,
        nonce_prefix=nonce_prefix,
        wrapped_key=wrapped_key,
        recipient_key=public.encryption_key,
        signer_key=public.signing_key,
    )
    header_json = header.encode()
    head = preamble(header_json) + header_json
    header_hash = hashlib.sha256(head).digest()
    summary_ct = AESGCM(summary_key(data_key)).encrypt(
        _SUMMARY_NONCE, summary_plaintext, header_hash
    )
    out.write(head)
    out.write(struct.pack(">I", len(summary_ct)) + summary_ct)
    written = len(head) + 4 + len(summary_ct)

    body_digest, size, body_len = _seal_body(
        document, out, AESGCM(body_key(data_key)), nonce_prefix, header_hash, chunk_size
    )
    tbs = to_be_signed(header_hash, summary_digest(summary_ct), body_digest)
    signature = sign_raw(keys.signing_private, tbs, deterministic=fixed is not None)
    out.write(signature)
    return SealResult(
        bid_sha256=hashlib.sha256(tbs + signature).hexdigest(),
        size=size,
        file_size=written + body_len + len(signature),
        header=header,
    )


def _seal_body(
    document: BinaryIO,
    out: BinaryIO,
    cipher: AESGCM,
    nonce_prefix: bytes,
    header_hash: bytes,
    chunk_size: int,
) -> tuple[bytes, int, int]:
    """Encrypt the chunks; returns (body_digest, plaintext size, body bytes written)."""
    # Two plaintext buffers: reading one chunk ahead is how we learn which chunk is last.
    current, ahead = bytearray(chunk_size), bytearray(chunk_size)
    sealed = bytearray(chunk_size + TAG_LEN)
    body_hash = hashlib.sha256()
    current_len = read_block(document, current)
    index = size = body_len = 0
    while True:
        ahead_len = read_block(document, ahead) if current_len == chunk_size else 0
        last = ahead_len == 0
        if not last and index + 1 >= MAX_CHUNKS:
            raise ValueError("document too large for this chunk size")
        chunk = memoryview(sealed)[: current_len + TAG_LEN]
        cipher.encrypt_into(
            chunk_nonce(nonce_prefix, index, last),
            memoryview(current)[:current_len],
            header_hash,
            chunk,
        )
        out.write(chunk)
        body_hash.update(hashlib.sha256(chunk).digest())
        size += current_len
        body_len += len(chunk)
        if last:
            return body_hash.digest(), size, body_len
        current, ahead = ahead, current
        current_len = ahead_len
        index += 1


def seal_file(
    document_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    keys: BidderKeys,
    context: BidContext,
    summary: Mapping[str, object],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    overwrite: bool = False,
) -> SealResult:
    """``seal`` between files; the sealed file appears complete (fsynced) or not at all."""
    with (
        open(document_path, "rb") as document,
        atomic_output(out_path, overwrite=overwrite) as out,
    ):
        return seal(
            document, out, keys=keys, context=context, summary=summary, chunk_size=chunk_size
        )
