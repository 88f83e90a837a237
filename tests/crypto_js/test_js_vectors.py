"""The vectors written by the JavaScript implementation (tests/vectors/js) open in Python."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import bidseal
from bidseal import BidContext, InvalidSealedBid
from bidseal.codec import b64u_decode

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "js"
MANIFEST: dict[str, Any] = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))
KEYS = bidseal.load_private_key_file(
    VECTORS / MANIFEST["keys"]["dir"], MANIFEST["keys"]["passphrase"]
)


def context_of(members: Mapping[str, str]) -> BidContext:
    return BidContext(members["tender"], members["lot"], members["bidder"])


def read_info(sealed: bytes) -> bidseal.SealedBidInfo:
    reader = bidseal.SealedBidReader()
    reader.feed(sealed)
    return reader.finish()


def test_the_manifest_covers_every_file() -> None:
    named = {v["file"] for v in MANIFEST["sealed"]} | {v["file"] for v in MANIFEST["invalid"]}
    named |= {v["document"] for v in MANIFEST["sealed"]}
    on_disk = {str(p.relative_to(VECTORS)) for p in VECTORS.glob("*/*") if p.parent.name != "keys"}
    assert named == on_disk
    assert len(MANIFEST["sealed"]) >= 7
    assert len(MANIFEST["invalid"]) >= 18


def test_the_key_folder_is_the_bidders() -> None:
    assert KEYS.key_id == MANIFEST["keys"]["bidder_key_id"]
    assert bidseal.load_public_bundle(VECTORS / MANIFEST["keys"]["dir"]) == KEYS.public


@pytest.mark.parametrize("vector", MANIFEST["sealed"], ids=lambda v: v["name"])
def test_sealed_vector_opens(vector: dict[str, Any]) -> None:
    sealed = (VECTORS / vector["file"]).read_bytes()
    document = (VECTORS / vector["document"]).read_bytes()
    context = context_of(vector["context"])
    assert len(sealed) == vector["file_size"]
    assert len(document) == vector["size"]

    info = read_info(sealed)
    assert info.context == context
    assert info.chunk_size == vector["chunk_size"]
    assert info.bid_sha256 == vector["bid_sha256"]
    assert info.header.signer_key == KEYS.public.signing_key

    data_key = bidseal.unwrap_data_key(io.BytesIO(sealed), KEYS, context)
    assert data_key == b64u_decode(vector["data_key"])
    out = io.BytesIO()
    opened = bidseal.open_sealed(io.BytesIO(sealed), data_key, out)
    assert out.getvalue() == document
    assert opened.summary == vector["summary"]
    assert opened.bid_sha256 == vector["bid_sha256"]


@pytest.mark.parametrize("vector", MANIFEST["invalid"], ids=lambda v: v["name"])
def test_invalid_vector_is_refused(vector: dict[str, Any]) -> None:
    sealed = (VECTORS / vector["file"]).read_bytes()
    if vector["fails_at"] == "read":
        with pytest.raises(InvalidSealedBid):
            read_info(sealed)
        return
    assert vector["fails_at"] == "open"
    info = read_info(sealed)  # structure and signature are fine: the bidder re-signed it
    with pytest.raises(InvalidSealedBid):
        data_key = bidseal.unwrap_data_key(info, KEYS, info.context)
        bidseal.open_sealed(io.BytesIO(sealed), data_key, io.BytesIO())


@pytest.mark.parametrize("vector", MANIFEST["challenges"], ids=lambda v: v["audience"])
def test_challenge_signature_verifies(vector: dict[str, str]) -> None:
    signing_key = KEYS.public.signing_key
    challenge, audience, signature = vector["challenge"], vector["audience"], vector["signature"]
    assert bidseal.verify_challenge_signature(signing_key, challenge, audience, signature)
    assert not bidseal.verify_challenge_signature(signing_key, challenge + "x", audience, signature)


def test_rehearsal_envelope_opens() -> None:
    vector = MANIFEST["rehearsal"]
    key = bidseal.open_rehearsal_envelope(
        vector["envelope"], KEYS, vector["challenge_id"], vector["bidder"]
    )
    assert key == b64u_decode(vector["key"])
    with pytest.raises(InvalidSealedBid):
        bidseal.open_rehearsal_envelope(vector["envelope"], KEYS, "other", vector["bidder"])
