"""The shared Python-made vectors in tests/vectors/: reproducible, and every value checks out."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bidseal import (
    BidContext,
    BidderKeys,
    InvalidSealedBid,
    InvalidSignedDocument,
    KeyFileError,
    SealedBidInfo,
    SealedBidReader,
    open_rehearsal_envelope,
    open_sealed,
    unwrap_data_key,
    verify_challenge_signature,
    verify_document,
)
from bidseal.codec import b64u_decode
from bidseal.format import body_key, chunk_nonce, hpke_info, summary_key
from bidseal.keys import decrypt_key_file
from bidseal.summary import encode_summary

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_vectors"] = module
    spec.loader.exec_module(module)
    return module


def load(name: str) -> dict[str, Any]:
    value = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    assert value["format"] == "bidseal-test-vectors/1"
    assert isinstance(value, dict)
    return value


SEALED = load("sealed-bid-v1.json")
INVALID = load("invalid-sealed-bid-v1.json")
KEY_FILE = load("private-key-v1.json")
SIGNED = load("signed-v1.json")


def keys_of(vectors: dict[str, Any]) -> BidderKeys:
    keys = vectors["keys"]
    return BidderKeys.from_scalars(
        bytes.fromhex(keys["encryption_private"]), bytes.fromhex(keys["signing_private"])
    )


def read_info(sealed: bytes) -> SealedBidInfo:
    reader = SealedBidReader()
    reader.feed(sealed)
    return reader.finish()


def test_generator_reproduces_every_file_byte_for_byte() -> None:
    # Proves both that the vectors are deterministic and that seal() still writes these bytes.
    for path, text in load_generator().build().items():
        assert path.read_text(encoding="utf-8") == text, path.name


def test_vector_set_covers_the_required_cases() -> None:
    names = {v["name"] for v in SEALED["vectors"]}
    assert {"empty", "one-byte", "exactly-one-chunk", "several-chunks-short-last"} <= names
    assert "non-ascii-context" in names
    stages = {v["fails_at"] for v in INVALID["vectors"]}
    assert stages == {"read", "open"}
    assert len(INVALID["vectors"]) >= 40


@pytest.mark.parametrize("vector", SEALED["vectors"], ids=lambda v: v["name"])
def test_sealed_vector(vector: dict[str, Any]) -> None:
    keys = keys_of(SEALED)
    sealed = b64u_decode(vector["sealed"])
    context = BidContext(**vector["context"])
    data_key = bytes.fromhex(vector["data_key"])

    info = read_info(sealed)
    assert info.context == context
    assert info.header.encode().decode() == vector["header_json"]
    assert sealed[12 : 12 + len(info.header.encode())].decode() == vector["header_json"]
    assert info.header_hash.hex() == vector["header_hash"]
    assert info.header.nonce_prefix.hex() == vector["nonce_prefix"]
    assert info.header.wrapped_key.hex() == vector["wrapped_key"]
    assert info.bid_sha256 == vector["bid_sha256"]
    assert info.chunk_count == len(vector["chunks"])
    assert hashlib.sha256(info.summary_ct).hexdigest() == vector["summary_ct_sha256"]
    assert (
        hashlib.sha256(bytes.fromhex(vector["tbs"]) + info.signature).hexdigest()
        == (vector["bid_sha256"])
    )

    # HPKE: the info string, and cryptography's own decryption of the hand-made wrap.
    assert hpke_info(context).hex() == vector["hpke"]["info"]
    suite = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    wrapped = bytes.fromhex(vector["wrapped_key"])
    assert suite.decrypt(wrapped, keys.encryption_private, info=hpke_info(context)) == data_key
    assert wrapped[:65].hex() == vector["hpke"]["enc"]
    assert unwrap_data_key(info, keys, context) == data_key

    assert body_key(data_key).hex() == vector["body_key"]
    assert summary_key(data_key).hex() == vector["summary_key"]
    for index, chunk in enumerate(vector["chunks"]):
        last = index == len(vector["chunks"]) - 1
        assert chunk_nonce(info.header.nonce_prefix, index, last).hex() == chunk["nonce"]

    out = io.BytesIO()
    opened = open_sealed(io.BytesIO(sealed), data_key, out)
    assert out.getvalue().hex() == vector["document"]
    assert opened.summary == SEALED["summary"]
    assert encode_summary(opened.summary).hex() == vector["summary_plaintext"]
    assert vector["summary_decrypted"] == vector["summary_plaintext"]


@pytest.mark.parametrize("vector", INVALID["vectors"], ids=lambda v: v["name"])
def test_invalid_vector(vector: dict[str, Any]) -> None:
    keys = keys_of(INVALID)
    sealed = b64u_decode(vector["sealed"])
    if vector["fails_at"] == "read":
        with pytest.raises(InvalidSealedBid):
            read_info(sealed)
        return
    info = read_info(sealed)  # re-signed by the bidder: only the keyed checks can refuse it
    with pytest.raises(InvalidSealedBid):
        data_key = unwrap_data_key(info, keys, info.context)
        open_sealed(io.BytesIO(sealed), data_key, io.BytesIO())


def test_private_key_file_vector() -> None:
    data = KEY_FILE["key_file"].encode()
    keys = decrypt_key_file(data, KEY_FILE["passphrase"])
    assert [s.hex() for s in keys.scalars()] == [
        KEY_FILE["encryption_private"],
        KEY_FILE["signing_private"],
    ]
    assert keys.key_id == KEY_FILE["bidder_key_id"] == SEALED["keys"]["bidder_key_id"]
    # NFC: the stored passphrase is NFD; its NFC UTF-8 is what PBKDF2 gets.
    nfc = bytes.fromhex(KEY_FILE["passphrase_nfc_utf8"]).decode()
    assert nfc != KEY_FILE["passphrase"]
    assert decrypt_key_file(data, nfc).scalars() == keys.scalars()
    for wrong in KEY_FILE["wrong_passphrases"]:
        with pytest.raises(KeyFileError):
            decrypt_key_file(data, wrong)


@pytest.mark.parametrize("variant", KEY_FILE["variants"], ids=lambda v: v["name"])
def test_private_key_file_variant(variant: dict[str, Any]) -> None:
    data = variant["key_file"].encode()
    if variant["opens"]:
        keys = decrypt_key_file(data, KEY_FILE["passphrase"])
        assert keys.key_id == KEY_FILE["bidder_key_id"]
    else:
        with pytest.raises(KeyFileError, match=r"^wrong passphrase or damaged key file$"):
            decrypt_key_file(data, KEY_FILE["passphrase"])


def test_the_empty_last_chunk_is_refused_by_the_reader_rule_alone() -> None:
    # Every tag of this file is valid and it is signed: without the rule of section 2.5
    # it would open to the same document as the whole-chunks vector.
    vector = next(v for v in INVALID["vectors"] if v["name"] == "resigned-empty-last-chunk")
    whole = next(v for v in SEALED["vectors"] if v["name"] == "whole-chunks")
    sealed = b64u_decode(vector["sealed"])
    data_key = bytes.fromhex(whole["data_key"])
    valid = read_info(b64u_decode(whole["sealed"]))
    body = sealed[valid.body_offset : -64]
    full = whole["chunk_size"] + 16
    chunks = [body[i : i + full] for i in range(0, len(body), full)]
    assert [len(c) for c in chunks] == [full, full, 16]
    cipher = AESGCM(body_key(data_key))
    plain = b"".join(
        cipher.decrypt(chunk_nonce(valid.header.nonce_prefix, i, i == 2), c, valid.header_hash)
        for i, c in enumerate(chunks)
    )
    assert plain.hex() == whole["document"]
    with pytest.raises(InvalidSealedBid):
        read_info(sealed)


def test_signed_receipt_vector() -> None:
    server = b64u_decode(SIGNED["server_public"])
    receipt = SIGNED["receipt"]
    assert verify_document(receipt["envelope"], "receipt", server) == receipt["payload"]
    for bad in SIGNED["bad_receipts"]:
        with pytest.raises(InvalidSignedDocument):
            verify_document(bad["envelope"], "receipt", server)


def test_challenge_and_rehearsal_vectors() -> None:
    keys = keys_of(SEALED)
    challenge = SIGNED["challenge"]
    assert verify_challenge_signature(
        b64u_decode(challenge["signing_key"]),
        challenge["challenge"],
        challenge["audience"],
        challenge["signature"],
    )
    rehearsal = SIGNED["rehearsal"]
    key = open_rehearsal_envelope(
        rehearsal["envelope"], keys, rehearsal["challenge_id"], rehearsal["bidder"]
    )
    assert key.hex() == rehearsal["key"]
