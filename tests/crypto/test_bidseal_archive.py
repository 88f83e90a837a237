"""The archive key wraps data keys at rest; DocumentStream opens a sealed bid piece by piece."""

from __future__ import annotations

import io
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from bidseal_testing import CONTEXT, KEYS, seal_bytes, split

from bidseal import ArchiveKey, DocumentStream, InvalidSealedBid, unwrap_data_key
from bidseal.archive import ARCHIVED_KEY_LEN

LABEL = b"ZB-2026-000001\n1\nBD0001\n" + b"a" * 64
DATA_KEY = bytes(range(32))


def test_wrap_round_trip_and_fresh_nonces() -> None:
    key = ArchiveKey.generate()
    first, second = key.wrap(DATA_KEY, LABEL), key.wrap(DATA_KEY, LABEL)
    assert len(first) == ARCHIVED_KEY_LEN and first != second
    assert DATA_KEY not in first
    assert key.unwrap(first, LABEL) == key.unwrap(second, LABEL) == DATA_KEY


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda w, label, key: (w, label, ArchiveKey.generate()), id="other-key"),
        pytest.param(lambda w, label, key: (w, label + b"x", key), id="other-label"),
        pytest.param(lambda w, label, key: (w[:-1], label, key), id="truncated"),
        pytest.param(lambda w, label, key: (w + b"\0", label, key), id="appended"),
        pytest.param(
            lambda w, label, key: (w[:20] + bytes([w[20] ^ 1]) + w[21:], label, key), id="flipped"
        ),
        pytest.param(lambda w, label, key: (b"\x02" + w[1:], label, key), id="version"),
    ],
)
def test_every_bad_wrapped_key_is_one_opaque_error(spoil: object) -> None:
    key = ArchiveKey.generate()
    wrapped, label, opener = spoil(key.wrap(DATA_KEY, LABEL), LABEL, key)  # type: ignore[operator]
    with pytest.raises(InvalidSealedBid):
        opener.unwrap(wrapped, label)


def test_only_32_byte_keys() -> None:
    with pytest.raises(ValueError):
        ArchiveKey(b"short")
    with pytest.raises(ValueError):
        ArchiveKey.generate().wrap(b"short", LABEL)


def test_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "archive-key.json"
    key = ArchiveKey.generate()
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = ArchiveKey.load(path)
    assert loaded.key_id == key.key_id and loaded.unwrap(key.wrap(DATA_KEY, LABEL), LABEL)
    with pytest.raises(FileExistsError):
        ArchiveKey.generate().save(path)
    assert key.secret.hex() not in repr(key) and key.key_id in repr(key)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"format": "bidseal-archive-key/1"}',
        '{"format": "other", "key": "AAAA"}',
        '{"format": "bidseal-archive-key/1", "key": "AAAA", "key_id": "x"}',
    ],
)
def test_damaged_key_file_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "archive-key.json"
    path.write_text(text)
    with pytest.raises(ValueError):
        ArchiveKey.load(path)


def test_key_id_mismatch_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive-key.json"
    ArchiveKey.generate().save(path)
    other = ArchiveKey.generate()
    path.write_text(path.read_text().replace('"key_id": "', '"key_id": "0' + other.key_id[1:]))
    with pytest.raises(ValueError):
        ArchiveKey.load(path)


# -- DocumentStream ------------------------------------------------------------------------


def _data_key(sealed: bytes) -> bytes:
    return unwrap_data_key(io.BytesIO(sealed), KEYS, CONTEXT)


def _stream(sealed: bytes, piece: int, expected: str | None = None) -> tuple[list[bytes], bytes]:
    stream = DocumentStream(_data_key(sealed))
    pieces = [stream.feed(sealed[i : i + piece]) for i in range(0, len(sealed), piece)]
    last, _ = stream.finish(expected)
    return pieces, last


@pytest.mark.parametrize("piece", [1, 7, 64, 80, 1000, 1 << 20])
@pytest.mark.parametrize("size", [0, 1, 64, 65, 640, 1001])
def test_stream_gives_the_document_in_order(piece: int, size: int) -> None:
    document = os.urandom(size)
    sealed = seal_bytes(document)
    pieces, last = _stream(sealed, piece)
    assert b"".join(pieces) + last == document


def test_last_chunk_waits_for_the_signature() -> None:
    document = os.urandom(64 * 3)
    sealed = seal_bytes(document)
    pieces, last = _stream(sealed, len(sealed))
    # Fed whole, the first two chunks come at once; the third only from finish.
    assert pieces == [document[:128]] and last == document[128:]


def test_flipped_chunk_fails_at_that_chunk() -> None:
    document = os.urandom(64 * 4)
    parts = split(seal_bytes(document))
    chunk = parts.chunks[1]
    flipped = bytes([chunk[0] ^ 1]) + chunk[1:]
    sealed = replace(parts, chunks=(parts.chunks[0], flipped, *parts.chunks[2:])).join()
    stream = DocumentStream(_data_key(sealed))
    released = b""
    with pytest.raises(InvalidSealedBid):
        for i in range(0, len(sealed), 50):
            released += stream.feed(sealed[i : i + 50])
    assert released == document[:64]


def test_bad_signature_withholds_the_last_chunk() -> None:
    document = os.urandom(64 * 2)
    sealed = seal_bytes(document)
    spoiled = sealed[:-1] + bytes([sealed[-1] ^ 1])
    stream = DocumentStream(_data_key(sealed))
    assert stream.feed(spoiled) == document[:64]
    with pytest.raises(InvalidSealedBid):
        stream.finish()


def test_truncated_file_fails_at_the_end() -> None:
    sealed = seal_bytes(os.urandom(200))
    stream = DocumentStream(_data_key(sealed))
    stream.feed(sealed[:-70])
    with pytest.raises(InvalidSealedBid):
        stream.finish()


def test_expected_hash_is_checked_before_the_last_chunk() -> None:
    sealed = seal_bytes(os.urandom(100))
    with pytest.raises(InvalidSealedBid):
        _stream(sealed, 1000, expected="0" * 64)


def test_wrong_data_key_fails_before_any_plaintext() -> None:
    sealed = seal_bytes(os.urandom(300))
    stream = DocumentStream(bytes(32))
    with pytest.raises(InvalidSealedBid):
        stream.feed(sealed)
    with pytest.raises(InvalidSealedBid):
        DocumentStream(b"short")
