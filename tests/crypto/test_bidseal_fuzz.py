"""Fuzzing the sans-IO reader and the opener: nothing but InvalidSealedBid ever escapes."""

from __future__ import annotations

import io
import os

from bidseal_testing import CONTEXT, KEYS, read_info, seal_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bidseal import InvalidSealedBid, SealedBidReader, open_sealed, unwrap_data_key

VALID = seal_bytes(os.urandom(300), chunk_size=64)
DATA_KEY = unwrap_data_key(io.BytesIO(VALID), KEYS, CONTEXT)


def read_in_pieces(data: bytes, piece: int) -> None:
    reader = SealedBidReader()
    for start in range(0, len(data), piece):
        reader.feed(data[start : start + piece])
    reader.finish()


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000), piece=st.integers(min_value=1, max_value=300))
def test_arbitrary_bytes(data: bytes, piece: int) -> None:
    try:
        read_in_pieces(data, piece)
    except InvalidSealedBid:
        return
    raise AssertionError("random bytes were accepted as a sealed bid")


@settings(max_examples=200, deadline=None)
@given(data=st.binary(min_size=0, max_size=3000))
def test_arbitrary_bytes_after_a_valid_preamble(data: bytes) -> None:
    try:
        read_in_pieces(VALID[:12] + data, 97)
    except InvalidSealedBid:
        return
    raise AssertionError("accepted")


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(VALID) - 1), st.integers(0, 7)),
    st.tuples(st.just("delete"), st.integers(0, len(VALID) - 1), st.integers(1, 100)),
    st.tuples(st.just("insert"), st.integers(0, len(VALID)), st.binary(min_size=1, max_size=100)),
    st.tuples(st.just("truncate"), st.integers(0, len(VALID) - 1), st.just(0)),
)


def mutate(data: bytes, steps: list[tuple[str, int, object]]) -> bytes:
    out = bytearray(data)
    for kind, at, arg in steps:
        at = min(at, len(out))
        if kind == "flip" and at < len(out):
            assert isinstance(arg, int)
            out[at] ^= 1 << arg
        elif kind == "delete":
            assert isinstance(arg, int)
            del out[at : at + arg]
        elif kind == "insert":
            assert isinstance(arg, bytes)
            out[at:at] = arg
        elif kind == "truncate":
            del out[at:]
    return bytes(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(mutation, min_size=1, max_size=3), piece=st.integers(1, 500))
def test_mutated_valid_file(steps: list[tuple[str, int, object]], piece: int) -> None:
    data = mutate(VALID, steps)
    if data == VALID:
        assert read_info(data, piece).size == 300
        return
    try:
        read_in_pieces(data, piece)
    except InvalidSealedBid:
        pass
    else:
        raise AssertionError("a changed file kept a valid signature")
    try:
        open_sealed(io.BytesIO(data), DATA_KEY, io.BytesIO())
    except InvalidSealedBid:
        return
    raise AssertionError("a changed file opened")
