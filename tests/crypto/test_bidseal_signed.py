"""Server-signed documents, bidder sign-in challenges and rehearsal envelopes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from bidseal_testing import KEYS, OTHER_KEYS, seal_bytes

from bidseal import (
    BidContext,
    InvalidSealedBid,
    InvalidSignedDocument,
    ServerKey,
    check_rehearsal_answer,
    make_rehearsal_envelope,
    open_rehearsal_envelope,
    sign_challenge,
    sign_document,
    verify_challenge_signature,
    verify_document,
)
from bidseal.codec import b64u_decode, b64u_encode
from bidseal.errors import INVALID_SIGNED_DOCUMENT_MESSAGE
from bidseal.p256 import ORDER, sign_raw
from bidseal.signed import signed_message

SERVER = ServerKey.generate()
RECEIPT = {
    "tender": "ZB-2026-0001",
    "lot": "标段1",
    "bidder": "北京某某建设有限公司",
    "bid_sha256": "ab" * 32,
    "size": 123456,
    "received_at": "2026-11-27T01:02:03.123456Z",
    "receipt_no": 17,
}


def test_sign_and_verify_receipt() -> None:
    envelope = sign_document("receipt", RECEIPT, SERVER)
    assert envelope["payload"] == json.dumps(
        RECEIPT, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert verify_document(envelope, "receipt", SERVER.public_key) == RECEIPT
    assert verify_document(envelope, "receipt", None) == RECEIPT


def test_unknown_type_is_refused_when_signing() -> None:
    with pytest.raises(ValueError, match="unknown"):
        sign_document("invoice", RECEIPT, SERVER)


def _bad_envelopes() -> dict[str, dict[str, object]]:
    signed = sign_document("receipt", RECEIPT, SERVER)
    good: dict[str, object] = dict(signed)
    signature = bytearray(b64u_decode(signed["signature"]))
    signature[10] ^= 1
    other: dict[str, object] = dict(sign_document("receipt", RECEIPT, ServerKey.generate()))
    duplicate_payload = '{"size":1,"size":2}'
    return {
        "payload changed": {**good, "payload": signed["payload"].replace("17", "18")},
        "payload respaced": {**good, "payload": json.dumps(RECEIPT)},
        "signature bit": {**good, "signature": b64u_encode(bytes(signature))},
        "other type": {**good, "type": "withdrawal"},
        "untrusted key": other,
        "format": {**good, "format": "bidseal-signed/2"},
        "extra member": {**good, "note": "x"},
        "missing key": {k: v for k, v in good.items() if k != "key"},
        "payload not a string": {**good, "payload": RECEIPT},
        "duplicate payload member": {
            **sign_document("receipt", {}, SERVER),
            "payload": duplicate_payload,
        },
    }


BAD = _bad_envelopes()


@pytest.mark.parametrize("envelope", BAD.values(), ids=BAD.keys())
def test_bad_envelopes_are_refused_opaquely(envelope: dict[str, object]) -> None:
    with pytest.raises(InvalidSignedDocument) as caught:
        verify_document(envelope, "receipt", SERVER.public_key)
    assert str(caught.value) == INVALID_SIGNED_DOCUMENT_MESSAGE


def test_duplicate_member_payload_with_a_valid_signature_is_refused() -> None:
    # Signed properly, so only the strict parse can catch it.
    payload = '{"receipt_no":1,"receipt_no":2}'
    envelope = {
        "format": "bidseal-signed/1",
        "type": "receipt",
        "payload": payload,
        "signature": b64u_encode(sign_raw(SERVER.private, signed_message("receipt", payload))),
        "key": b64u_encode(SERVER.public_key),
    }
    with pytest.raises(InvalidSignedDocument):
        verify_document(envelope, "receipt", SERVER.public_key)


def test_server_key_file(tmp_path: Path) -> None:
    path = tmp_path / "server-key.pem"
    SERVER.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ServerKey.load(path).public_key == SERVER.public_key
    with pytest.raises(FileExistsError):
        SERVER.save(path)


def test_challenge_signature() -> None:
    signature = sign_challenge(KEYS, "nonce-123", "https://bidopen.example")
    signing_key = KEYS.public.signing_key
    assert verify_challenge_signature(
        signing_key, "nonce-123", "https://bidopen.example", signature
    )
    assert not verify_challenge_signature(
        signing_key, "nonce-124", "https://bidopen.example", signature
    )
    assert not verify_challenge_signature(
        signing_key, "nonce-123", "https://evil.example", signature
    )
    other_key = OTHER_KEYS.public.signing_key
    assert not verify_challenge_signature(
        other_key, "nonce-123", "https://bidopen.example", signature
    )
    assert not verify_challenge_signature(signing_key, "nonce-123", "https://bidopen.example", "!!")
    assert not verify_challenge_signature(b"\x04" + bytes(64), "n", "a", signature)


def test_challenge_accepts_high_s_from_webcrypto() -> None:
    raw = b64u_decode(sign_challenge(KEYS, "c", "a"))
    high = raw[:32] + (ORDER - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
    assert verify_challenge_signature(KEYS.public.signing_key, "c", "a", b64u_encode(high))


def test_rehearsal_envelope() -> None:
    envelope, expected = make_rehearsal_envelope(KEYS.public, "challenge-7", "bidder-1")
    answer = open_rehearsal_envelope(envelope, KEYS, "challenge-7", "bidder-1")
    assert check_rehearsal_answer(expected, answer)
    assert not check_rehearsal_answer(expected, bytes(32))


@pytest.mark.parametrize(
    ("keys", "challenge", "bidder", "envelope_change"),
    [
        (OTHER_KEYS, "challenge-7", "bidder-1", None),
        (KEYS, "challenge-8", "bidder-1", None),
        (KEYS, "challenge-7", "bidder-2", None),
        (KEYS, "challenge-7", "bidder-1", "flip"),
        (KEYS, "challenge-7", "bidder-1", "garbage"),
    ],
    ids=["other key", "other challenge", "other bidder", "flipped", "garbage"],
)
def test_rehearsal_envelope_refusals(
    keys: object, challenge: str, bidder: str, envelope_change: str | None
) -> None:
    envelope, _ = make_rehearsal_envelope(KEYS.public, "challenge-7", "bidder-1")
    if envelope_change == "flip":
        raw = bytearray(b64u_decode(envelope))
        raw[-1] ^= 1
        envelope = b64u_encode(bytes(raw))
    elif envelope_change == "garbage":
        envelope = "not+base64url="
    with pytest.raises(InvalidSealedBid):
        open_rehearsal_envelope(envelope, keys, challenge, bidder)  # type: ignore[arg-type]


def test_sealing_for_the_rehearsal_tender_is_refused() -> None:
    with pytest.raises(ValueError, match="reserved"):
        seal_bytes(b"x", context=BidContext("rehearsal", "c", "b"))
