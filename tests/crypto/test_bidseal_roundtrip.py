"""Seal then open: every document size around the chunk boundaries comes back byte for byte."""

from __future__ import annotations

import io
import os

import pytest
from bidseal_testing import CONTEXT, KEYS, SUMMARY, open_bytes, read_info, seal_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from bidseal import BidContext, SealedBidReader, open_sealed, seal, unwrap_data_key
from bidseal.format import DEFAULT_CHUNK_SIZE

CHUNK = 64


@pytest.mark.parametrize(
    ("size", "chunks"),
    [
        (0, 1),
        (1, 1),
        (CHUNK - 1, 1),
        (CHUNK, 1),
        (CHUNK + 1, 2),
        (3 * CHUNK, 3),
        (3 * CHUNK + 17, 4),
    ],
)
def test_round_trip_around_chunk_boundaries(size: int, chunks: int) -> None:
    document = os.urandom(size)
    sealed = seal_bytes(document, chunk_size=CHUNK)
    opened_document, opened = open_bytes(sealed)
    assert opened_document == document
    assert opened.size == size
    assert opened.summary == SUMMARY
    assert opened.info.chunk_count == chunks
    assert opened.info.context == CONTEXT


def test_seal_result_matches_what_readers_find() -> None:
    document = os.urandom(1000)
    out = io.BytesIO()
    result = seal(
        io.BytesIO(document), out, keys=KEYS, context=CONTEXT, summary=SUMMARY, chunk_size=CHUNK
    )
    info = read_info(out.getvalue())
    assert result.bid_sha256 == info.bid_sha256
    assert result.size == info.size == 1000
    assert result.file_size == len(out.getvalue()) == info.file_size
    assert result.header == info.header


def test_default_chunk_size_with_several_chunks() -> None:
    document = os.urandom(2 * DEFAULT_CHUNK_SIZE + 5)
    sealed = seal_bytes(document, chunk_size=DEFAULT_CHUNK_SIZE)
    opened_document, opened = open_bytes(sealed)
    assert opened_document == document
    assert opened.info.chunk_count == 3


def test_same_document_seals_differently_each_time() -> None:
    # A fresh data key and nonce prefix per file: equal documents do not show as equal files.
    assert seal_bytes(b"same") != seal_bytes(b"same")


def test_open_without_output_still_verifies_and_returns_summary() -> None:
    sealed = seal_bytes(os.urandom(300))
    data_key = unwrap_data_key(io.BytesIO(sealed), KEYS, CONTEXT)
    opened = open_sealed(io.BytesIO(sealed), data_key, None)
    assert opened.summary == SUMMARY
    assert opened.size == 300


def test_document_from_a_stream_with_short_reads() -> None:
    class Trickle(io.RawIOBase):
        """A pipe-like stream that returns at most 7 bytes per read."""

        def __init__(self, data: bytes) -> None:
            self._data = memoryview(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            count = min(7, len(buffer), len(self._data))
            buffer[:count] = self._data[:count]
            self._data = self._data[count:]
            return count

    document = os.urandom(500)
    out = io.BytesIO()
    seal(Trickle(document), out, keys=KEYS, context=CONTEXT, summary=SUMMARY, chunk_size=CHUNK)  # type: ignore[arg-type]
    assert read_info(out.getvalue()).chunk_count == 8
    assert open_bytes(out.getvalue())[0] == document


@settings(max_examples=150, deadline=None)
@given(
    document=st.binary(max_size=1500),
    chunk_size=st.integers(min_value=64, max_value=400),
    piece=st.integers(min_value=1, max_value=700),
)
def test_round_trip_property(document: bytes, chunk_size: int, piece: int) -> None:
    sealed = seal_bytes(document, chunk_size=chunk_size)
    info = read_info(sealed, piece)
    assert info.size == len(document)
    assert info.chunk_count == max(1, -(-len(document) // chunk_size))
    assert open_bytes(sealed)[0] == document


@settings(max_examples=40, deadline=None)
@given(
    tender=st.text(min_size=1, max_size=128).filter(lambda t: t != "rehearsal"),
    bidder=st.text(min_size=1, max_size=128),
)
def test_any_unicode_context_round_trips(tender: str, bidder: str) -> None:
    # st.text never yields lone surrogates, which BidContext refuses.
    context = BidContext(tender, "1", bidder)
    sealed = seal_bytes(b"doc", context=context)
    assert read_info(sealed).context == context
    assert open_bytes(sealed, context=context)[0] == b"doc"


def test_reader_takes_bytes_one_at_a_time() -> None:
    sealed = seal_bytes(os.urandom(200))
    reader = SealedBidReader()
    for index in range(len(sealed)):
        reader.feed(sealed[index : index + 1])
    assert reader.finish().size == 200


def test_summary_length_does_not_tell_the_price_length() -> None:
    short = read_info(seal_bytes(b"", summary={"items": {"price": "9"}}))
    long = read_info(seal_bytes(b"", summary={"items": {"price": "1234567890.12"}}))
    assert len(short.summary_ct) == len(long.summary_ct) == 1024 + 16


def test_summary_padding_stops_at_the_maximum() -> None:
    summary = {"items": {"note": "x" * (65536 - 30)}}
    sealed = seal_bytes(b"", summary=summary)
    assert len(read_info(sealed).summary_ct) == 65536 + 16
    assert open_bytes(sealed)[1].summary == summary
