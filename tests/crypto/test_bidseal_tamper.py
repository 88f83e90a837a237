"""Every way a sealed file can be wrong ends in the one opaque InvalidSealedBid."""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
from collections.abc import Callable
from dataclasses import replace

import pytest
from bidseal_testing import (
    CONTEXT,
    KEYS,
    OTHER_KEYS,
    Parts,
    open_bytes,
    read_info,
    seal_bytes,
    split,
    with_header,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bidseal import (
    BidContext,
    InvalidSealedBid,
    SealedBidReader,
    open_sealed,
    unwrap_data_key,
)
from bidseal.codec import b64u_encode
from bidseal.errors import INVALID_SEALED_BID_MESSAGE
from bidseal.format import summary_key

CHUNK = 64
DOCUMENT = os.urandom(3 * CHUNK + 20)  # three full chunks and a short last one
SEALED = seal_bytes(DOCUMENT, chunk_size=CHUNK)
PARTS = split(SEALED)
DATA_KEY = unwrap_data_key(io.BytesIO(SEALED), KEYS, CONTEXT)


def flip(data: bytes, offset: int, bit: int = 0) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 1 << bit
    return bytes(changed)


def expect_invalid(action: Callable[[], object]) -> InvalidSealedBid:
    with pytest.raises(InvalidSealedBid) as caught:
        action()
    # Opaque: the same type and text whatever failed.
    assert type(caught.value) is InvalidSealedBid
    assert str(caught.value) == INVALID_SEALED_BID_MESSAGE
    return caught.value


def open_with_data_key(sealed: bytes) -> bytes:
    out = io.BytesIO()
    open_sealed(io.BytesIO(sealed), DATA_KEY, out)
    return out.getvalue()


def header_members() -> dict[str, object]:
    members = json.loads(PARTS.head[12:])
    assert isinstance(members, dict)
    return members


def header_bytes(members: dict[str, object]) -> bytes:
    return json.dumps(members, separators=(",", ":"), ensure_ascii=False).encode()


def test_the_untampered_file_opens() -> None:
    # The control: everything below changes one thing of this file.
    assert open_bytes(SEALED)[0] == DOCUMENT
    assert PARTS.join() == SEALED
    assert len(PARTS.chunks) == 4


# --- no key needed: the signature covers every byte -------------------------------

REGIONS = {
    "magic": 0,
    "version": 7,
    "header_len": 11,
    "header": 12 + 5,
    "wrapped_key": SEALED.index(b'"wrapped_key":"') + 20,
    "summary_len": len(PARTS.head) + 3,
    "summary": len(PARTS.head) + 4 + 5,
    **{
        f"chunk_{i}": read_info(SEALED).body_offset + i * (CHUNK + 16) + 3
        for i in range(len(PARTS.chunks))
    },
    "signature_r": len(SEALED) - 64 + 1,
    "signature_s": len(SEALED) - 1,
}


@pytest.mark.parametrize("offset", REGIONS.values(), ids=REGIONS.keys())
def test_a_flipped_bit_in_each_region_fails_the_reader(offset: int) -> None:
    expect_invalid(lambda: read_info(flip(SEALED, offset)))


@pytest.mark.parametrize("offset", REGIONS.values(), ids=REGIONS.keys())
def test_a_flipped_bit_in_each_region_fails_the_opener(offset: int) -> None:
    expect_invalid(lambda: open_with_data_key(flip(SEALED, offset)))


@pytest.mark.parametrize("cut", [1, 12, 13, len(PARTS.head), len(SEALED) - 64, len(SEALED) - 1])
def test_truncated_anywhere(cut: int) -> None:
    expect_invalid(lambda: read_info(SEALED[:cut]))


def test_truncated_at_each_chunk_boundary_keeping_the_signature() -> None:
    body_offset = read_info(SEALED).body_offset
    for index in range(1, len(PARTS.chunks)):
        boundary = body_offset + index * (CHUNK + 16)
        expect_invalid(lambda b=boundary: read_info(SEALED[:b] + SEALED[-64:]))  # type: ignore[misc]
        expect_invalid(lambda b=boundary: read_info(SEALED[: b + 7] + SEALED[-64:]))  # type: ignore[misc]


def test_bytes_appended() -> None:
    expect_invalid(lambda: read_info(SEALED + b"\x00"))
    expect_invalid(lambda: read_info(SEALED + SEALED[-80:]))


def test_empty_and_foreign_input() -> None:
    expect_invalid(lambda: read_info(b""))
    expect_invalid(lambda: read_info(b"%PDF-1.7\n" + bytes(200)))


def test_foreign_input_is_refused_at_its_first_byte() -> None:
    reader = SealedBidReader()
    expect_invalid(lambda: reader.feed(b"X"))
    expect_invalid(lambda: reader.feed(b"BIDSEAL"))  # a failed reader stays failed


def test_signature_by_another_key_fails() -> None:
    expect_invalid(lambda: read_info(PARTS.resigned(OTHER_KEYS).join()))


def test_signature_high_s_still_valid_but_out_of_range_values_fail() -> None:
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    r, s = PARTS.signature[:32], int.from_bytes(PARTS.signature[32:], "big")
    high = replace(PARTS, signature=r + (order - s).to_bytes(32, "big"))
    assert read_info(high.join()).size == len(DOCUMENT)  # WebCrypto makes these
    for bad in (bytes(32), order.to_bytes(32, "big")):
        expect_invalid(lambda b=bad: read_info(replace(PARTS, signature=r + b).join()))  # type: ignore[misc]
        expect_invalid(lambda b=bad: read_info(replace(PARTS, signature=b + r).join()))  # type: ignore[misc]


# --- re-signed by the bidder: the data-key checks must hold on their own -------------


def test_resigned_summary_change_fails_the_summary_tag() -> None:
    changed = replace(PARTS, summary_ct=flip(PARTS.summary_ct, 0)).resigned()
    read_info(changed.join())  # structure and signature are fine
    expect_invalid(lambda: open_with_data_key(changed.join()))


@pytest.mark.parametrize("index", range(4))
def test_resigned_chunk_change_fails_that_chunks_tag(index: int) -> None:
    chunks = list(PARTS.chunks)
    chunks[index] = flip(chunks[index], len(chunks[index]) - 1)
    changed = replace(PARTS, chunks=tuple(chunks)).resigned()
    read_info(changed.join())
    expect_invalid(lambda: open_with_data_key(changed.join()))


def test_resigned_reordered_chunks_fail() -> None:
    chunks = list(PARTS.chunks)
    chunks[0], chunks[1] = chunks[1], chunks[0]
    changed = replace(PARTS, chunks=tuple(chunks)).resigned()
    read_info(changed.join())
    expect_invalid(lambda: open_with_data_key(changed.join()))


def test_resigned_dropped_last_chunk_fails_the_last_flag() -> None:
    changed = replace(PARTS, chunks=PARTS.chunks[:-1]).resigned()
    read_info(changed.join())
    expect_invalid(lambda: open_with_data_key(changed.join()))


def test_resigned_truncation_inside_the_last_chunk_fails() -> None:
    chunks = (*PARTS.chunks[:-1], PARTS.chunks[-1][:-1])
    changed = replace(PARTS, chunks=chunks).resigned()
    expect_invalid(lambda: open_with_data_key(changed.join()))


@pytest.mark.parametrize("length", [1, 15])
def test_resigned_last_chunk_shorter_than_a_tag_is_refused_without_a_key(length: int) -> None:
    changed = replace(PARTS, chunks=(*PARTS.chunks[:-1], PARTS.chunks[-1][:length])).resigned()
    expect_invalid(lambda: read_info(changed.join()))


def _with_summary_plaintext(plaintext: bytes) -> bytes:
    summary_ct = AESGCM(summary_key(DATA_KEY)).encrypt(
        bytes(12), plaintext, hashlib.sha256(PARTS.head).digest()
    )
    return replace(PARTS, summary_ct=summary_ct).resigned().join()


def test_resigned_summary_made_with_the_data_key_opens() -> None:
    # The control for the summary cases below: a well-formed re-made summary is accepted.
    changed = _with_summary_plaintext(b'{"items":{"price":"1"}}')
    assert open_bytes(changed)[1].summary == {"items": {"price": "1"}}


@pytest.mark.parametrize(
    "plaintext",
    [
        b'{"items":{"price":"1","price":"2"}}',
        b'{"items":{"price":"1"},"items":{"price":"2"}}',
        b'{"items":{"price":"1"},"document":{"name":"a","name":"b"}}',
        b'{"items":{"price":"\\ud800"}}',
        b'{"items":{"price":1}}',
        b'{"items":["1"]}',
        b'{"document":{}}',
        b"[]",
        b"\xff",
        b"",
    ],
)
def test_resigned_bad_summary_plaintext_is_refused(plaintext: bytes) -> None:
    expect_invalid(lambda: open_bytes(_with_summary_plaintext(plaintext)))


def test_resigned_chunk_appended_fails() -> None:
    # A document of whole chunks: its last chunk (flag 1) is now followed by a copy of chunk 0.
    whole = seal_bytes(DOCUMENT[: 2 * CHUNK], chunk_size=CHUNK)
    parts = split(whole)
    changed = replace(parts, chunks=(*parts.chunks, parts.chunks[0])).resigned().join()
    assert read_info(changed).chunk_count == 3
    expect_invalid(lambda: open_bytes(changed))


def test_resigned_bytes_appended_fail() -> None:
    changed = replace(PARTS, chunks=(*PARTS.chunks, b"\x00" * 20)).resigned()
    read_info(changed.join())
    expect_invalid(lambda: open_with_data_key(changed.join()))


def test_resigned_chunk_from_another_file_fails() -> None:
    # Same key would be needed to forge; another file has another data key and nonce prefix.
    other = split(seal_bytes(DOCUMENT, chunk_size=CHUNK))
    chunks = (other.chunks[0], *PARTS.chunks[1:])
    changed = replace(PARTS, chunks=chunks).resigned()
    expect_invalid(lambda: open_with_data_key(changed.join()))


def test_resigned_header_change_fails_through_the_associated_data() -> None:
    members = header_members()
    members["nonce_prefix"] = b64u_encode(bytes(7))
    changed = with_header(PARTS, header_bytes(members)).resigned()
    read_info(changed.join())
    expect_invalid(lambda: open_with_data_key(changed.join()))


def test_resigned_header_respelled_fails_through_the_associated_data() -> None:
    # Same values, other spacing: readers accept the layout, the hash changes, the tags fail.
    spaced = json.dumps(header_members(), ensure_ascii=False).encode()
    changed = with_header(PARTS, spaced).resigned()
    assert read_info(changed.join()).header == read_info(SEALED).header
    expect_invalid(lambda: open_with_data_key(changed.join()))


# --- unwrapping: only this key, only this context ------------------------------------


def test_wrong_private_key() -> None:
    expect_invalid(lambda: unwrap_data_key(io.BytesIO(SEALED), OTHER_KEYS, CONTEXT))


@pytest.mark.parametrize(
    "context",
    [
        BidContext("ZB-2026-0002", CONTEXT.lot, CONTEXT.bidder),
        BidContext(CONTEXT.tender, "标段2", CONTEXT.bidder),
        BidContext(CONTEXT.tender, CONTEXT.lot, "另一家公司"),
    ],
    ids=["tender", "lot", "bidder"],
)
def test_wrong_context_asked_for(context: BidContext) -> None:
    expect_invalid(lambda: unwrap_data_key(io.BytesIO(SEALED), KEYS, context))


@pytest.mark.parametrize("member", ["tender", "lot", "bidder"])
def test_resigned_relabelled_context_fails_the_hpke_info(member: str) -> None:
    # A bid moved to another tender/lot/bidder by its own signer still cannot be unwrapped there.
    members = header_members()
    members[member] = "X-" + str(members[member])
    changed = with_header(PARTS, header_bytes(members)).resigned().join()
    info = read_info(changed)
    expect_invalid(lambda: unwrap_data_key(info, KEYS, info.context))


def test_resigned_wrapped_key_change_fails() -> None:
    members = header_members()
    wrapped = bytearray(read_info(SEALED).header.wrapped_key)
    wrapped[-1] ^= 1
    members["wrapped_key"] = b64u_encode(bytes(wrapped))
    changed = with_header(PARTS, header_bytes(members)).resigned().join()
    info = read_info(changed)
    expect_invalid(lambda: unwrap_data_key(info, KEYS, CONTEXT))


def test_wrong_data_key() -> None:
    expect_invalid(lambda: open_sealed(io.BytesIO(SEALED), bytes(32), None))
    expect_invalid(lambda: open_sealed(io.BytesIO(SEALED), DATA_KEY[:31], None))


# --- header shape: extra, missing, duplicate, mistyped members ------------------------


def _mutated_headers() -> dict[str, bytes]:
    base = header_members()
    text = header_bytes(base).decode()
    cases: dict[str, bytes] = {}
    cases["extra member"] = header_bytes({**base, "comment": "x"})
    for name in base:
        cases[f"missing {name}"] = header_bytes({k: v for k, v in base.items() if k != name})
    cases["duplicate tender"] = text.replace('"lot":', '"tender":"Y","lot":', 1).encode()
    cases["v 2"] = header_bytes({**base, "v": 2})
    cases["v 1.0"] = text.replace('"v":1', '"v":1.0').encode()
    cases["v true"] = text.replace('"v":1', '"v":true').encode()
    cases["chunk_size 1e2"] = text.replace(f'"chunk_size":{CHUNK}', '"chunk_size":64e0').encode()
    cases["chunk_size string"] = header_bytes({**base, "chunk_size": str(CHUNK)})
    cases["chunk_size 63"] = header_bytes({**base, "chunk_size": 63})
    cases["chunk_size huge"] = header_bytes({**base, "chunk_size": 16 * 1024 * 1024 + 1})
    cases["suite"] = header_bytes({**base, "suite": "P256-SHA256-CHACHA20"})
    cases["empty tender"] = header_bytes({**base, "tender": ""})
    cases["long bidder"] = header_bytes({**base, "bidder": "字" * 129})
    cases["lone surrogate"] = text.replace('"lot":"', '"lot":"\\ud800', 1).encode()
    cases["reserved tender"] = header_bytes({**base, "tender": "rehearsal"})
    nonce_text = str(base["nonce_prefix"])
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(nonce_text[-1])
    respelled = (
        nonce_text[:-1]
        + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last ^ 1]
    )
    cases["b64u with unused bits set"] = header_bytes({**base, "nonce_prefix": respelled})
    cases["padded b64u"] = header_bytes({**base, "nonce_prefix": str(base["nonce_prefix"]) + "="})
    cases["short nonce_prefix"] = header_bytes({**base, "nonce_prefix": b64u_encode(bytes(6))})
    point = bytearray(read_info(SEALED).header.recipient_key)
    point[-1] ^= 1
    cases["point off the curve"] = header_bytes(
        {**base, "recipient_key": b64u_encode(bytes(point))}
    )
    compressed = bytes([2 + (point[-1] & 1)]) + bytes(point[1:33])
    cases["compressed point"] = header_bytes({**base, "signer_key": b64u_encode(compressed)})
    cases["byte order mark"] = b"\xef\xbb\xbf" + header_bytes(base)
    cases["not utf-8"] = header_bytes(base)[:-2] + b'\xff"}'
    cases["array"] = b"[" + header_bytes(base) + b"]"
    return cases


HEADERS = _mutated_headers()


@pytest.mark.parametrize("header", HEADERS.values(), ids=HEADERS.keys())
def test_bad_header_is_refused_even_when_signed(header: bytes) -> None:
    changed = with_header(PARTS, header).resigned()
    expect_invalid(lambda: read_info(changed.join()))


def test_header_length_out_of_range() -> None:
    for length in (0, 65537, 2**32 - 1):
        bad = SEALED[:8] + struct.pack(">I", length) + SEALED[12:]
        expect_invalid(lambda b=bad: read_info(b))  # type: ignore[misc]


def test_summary_length_out_of_range() -> None:
    at = len(PARTS.head)
    for length in (0, 15, 65553):
        bad = SEALED[:at] + struct.pack(">I", length) + SEALED[at + 4 :]
        expect_invalid(lambda b=bad: read_info(b))  # type: ignore[misc]


def test_every_failure_has_the_same_text() -> None:
    failures = [
        expect_invalid(lambda: read_info(flip(SEALED, 3))),
        expect_invalid(lambda: unwrap_data_key(io.BytesIO(SEALED), OTHER_KEYS, CONTEXT)),
        expect_invalid(lambda: open_sealed(io.BytesIO(SEALED), bytes(32), None)),
        expect_invalid(lambda: read_info(SEALED[:-1])),
    ]
    assert {(type(f), str(f), f.args) for f in failures} == {
        (InvalidSealedBid, INVALID_SEALED_BID_MESSAGE, (INVALID_SEALED_BID_MESSAGE,))
    }


def test_parts_helper_round_trips() -> None:
    # The helper must not itself change the file, or the tests above prove nothing.
    assert isinstance(PARTS, Parts)
    assert PARTS.resigned().join() != SEALED  # fresh signature
    assert read_info(PARTS.resigned().join()).size == len(DOCUMENT)


# --- large chunks, as real documents use them ---

BIG = 64 * 1024


def test_large_chunk_tamper_is_refused() -> None:
    document = os.urandom(3 * BIG + 5)
    sealed = seal_bytes(document, chunk_size=BIG)
    assert open_bytes(sealed)[0] == document
    parts = split(sealed)
    for index in range(len(parts.chunks)):
        chunks = list(parts.chunks)
        chunks[index] = flip(chunks[index], 10)
        changed = replace(parts, chunks=tuple(chunks)).resigned(chunk_size=BIG).join()
        read_info(changed)
        expect_invalid(lambda c=changed: open_bytes(c))  # type: ignore[misc]
