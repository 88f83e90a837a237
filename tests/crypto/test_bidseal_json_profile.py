"""The JSON profile (format section 0.1): every JSON-reading place accepts exactly the shared cases.

The node tests (client_web/test/json-profile.test.mjs) load the same
tests/vectors/json-profile-v1.json, so a drift in either reader fails.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from bidseal import InvalidSealedBid, InvalidSignedDocument, KeyFileError, open_sealed
from bidseal.codec import b64u_decode, canonical_json
from bidseal.keys import PublicBundle, decrypt_key_file
from bidseal.signed import verify_document
from bidseal.strictjson import MAX_DEPTH, StrictJsonError, read_json

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
PROFILE = json.loads((VECTORS / "json-profile-v1.json").read_text(encoding="utf-8"))
CASES = PROFILE["cases"]


def by_name(case: dict[str, Any]) -> str:
    return str(case["name"])


def test_generator_reproduces_the_file_byte_for_byte() -> None:
    sys.path.insert(0, str(VECTORS))
    try:
        spec = importlib.util.spec_from_file_location(
            "make_json_profile", VECTORS / "make_json_profile.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(VECTORS))
    for path, text in module.build().items():
        assert path.read_text(encoding="utf-8") == text, path.name


def test_the_cases_cover_both_outcomes_and_the_depth_limit() -> None:
    assert PROFILE["max_depth"] == MAX_DEPTH
    outcomes = {(c["accepted"], c["integers_only_accepted"]) for c in CASES}
    assert outcomes == {(True, True), (True, False), (False, False)}
    names = {c["name"] for c in CASES}
    assert {"nan", "infinity", "overflow", "lone-high-surrogate", "byte-order-mark"} <= names
    assert {"depth-at-limit", "depth-beyond-limit", "invalid-utf8", "trailing-garbage"} <= names
    assert {"minus-zero", "minus-zero-fraction"} <= names


def test_minus_zero_is_the_integer_zero_and_minus_zero_point_zero_the_double() -> None:
    cases = {c["name"]: c for c in CASES}
    assert cases["minus-zero"]["canonical"] == '{"x":0}'
    assert cases["minus-zero"]["integers_only_accepted"]
    assert type(read_json(b"-0")) is int
    assert json.dumps(read_json(b"-0.0")) == "-0.0"
    assert cases["minus-zero-fraction"]["canonical"] is None


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_the_reader(case: dict[str, Any]) -> None:
    text = b64u_decode(case["text"])
    for integers_only, accepted in (
        (False, case["accepted"]),
        (True, case["integers_only_accepted"]),
    ):
        if accepted:
            value = read_json(text, integers_only=integers_only)
            # Compared as JSON text, so that 0 and the double -0 differ.
            assert json.dumps(value) == json.dumps(case["value"])
            if case["canonical"] is not None:
                assert canonical_json(value) == case["canonical"]
        else:
            with pytest.raises(StrictJsonError):
                read_json(text, integers_only=integers_only)


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_the_sealed_summary(case: dict[str, Any]) -> None:
    sealed = io.BytesIO(b64u_decode(case["sealed"]))
    data_key = bytes.fromhex(PROFILE["data_key"])
    if case["accepted"]:
        opened = open_sealed(sealed, data_key, io.BytesIO())
        assert json.dumps(opened.summary["x"]) == json.dumps(case["value"]["x"])
    else:
        with pytest.raises(InvalidSealedBid):
            open_sealed(sealed, data_key, io.BytesIO())


@pytest.mark.parametrize("case", [c for c in CASES if c["receipt"] is not None], ids=by_name)
def test_the_signed_payload(case: dict[str, Any]) -> None:
    server = b64u_decode(PROFILE["server_public"])
    envelope = case["receipt"]
    if case["accepted"]:
        assert verify_document(envelope, "receipt", server)["receipt_no"] == 17
    else:
        with pytest.raises(InvalidSignedDocument):
            verify_document(envelope, "receipt", server)


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_the_key_file(case: dict[str, Any]) -> None:
    data = b64u_decode(case["key_file"])
    if case["integers_only_accepted"]:
        decrypt_key_file(data, PROFILE["passphrase"])
    else:
        with pytest.raises(KeyFileError):
            decrypt_key_file(data, PROFILE["passphrase"])


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_the_public_bundle(case: dict[str, Any]) -> None:
    data = b64u_decode(case["public_bundle"])
    if case["accepted"]:
        PublicBundle.from_json(data)
    else:
        with pytest.raises(ValueError, match="not a valid bidseal public key bundle"):
            PublicBundle.from_json(data)


def test_an_envelope_given_as_text_is_read_under_the_profile() -> None:
    server = b64u_decode(PROFILE["server_public"])
    envelope = next(c for c in CASES if c["name"] == "plain-object")["receipt"]
    text = json.dumps(envelope)
    assert verify_document(text, "receipt", server)["receipt_no"] == 17
    assert verify_document(text.encode(), "receipt", server)["receipt_no"] == 17
    doubled = text.replace('{"format"', '{"type":"receipt","format"', 1)
    for refused in (doubled, "\ufeff" + text, text + "x", text.encode() + b"\xff"):
        with pytest.raises(InvalidSignedDocument):
            verify_document(refused, "receipt", server)
