"""Signed notes, verifier keys, checkpoints, cosignatures and tlog-proofs: formats and refusals."""

from __future__ import annotations

import base64
import json

import pytest
from tlog_kit import entries, memory_subtrees

from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.cosignature import Cosigner, cosignature_verifier
from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import inclusion_proof, root_at
from bidopen.tlog.note import (
    Ed25519Signer,
    SignedNote,
    ed25519_verifier,
    open_note,
    parse_vkey,
)
from bidopen.tlog.policy import LogPolicy
from bidopen.tlog.proof import TlogProof
from bidseal.ed25519 import Ed25519Key

# The signed-note example key and note of golang.org/x/mod/sumdb/note (its tests' known answer).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_TEXT = (
    b"If you think cryptography is the answer to your problem,\n"
    b"then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
    "fqdngotpRZb6KE6RyyBwJnAM=\n"
)
ORIGIN = "kaibiao.example.cn/log"


def test_known_answer_of_the_go_note_package() -> None:
    signer = Ed25519Signer("PeterNeumann", Ed25519Key.from_seed(GO_SEED))
    assert signer.verifier.vkey == GO_VKEY
    assert signer.signature_line(GO_TEXT) == GO_SIGNATURE
    note = GO_TEXT + b"\n" + GO_SIGNATURE.encode()
    assert open_note(note, (ed25519_verifier(GO_VKEY),)).text == GO_TEXT


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a3",
        "Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # not base64
    ],
)
def test_bad_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(LogError):
        ed25519_verifier(vkey)


def test_a_note_needs_a_known_valid_signature() -> None:
    verifier = ed25519_verifier(GO_VKEY)
    note = GO_TEXT + b"\n" + GO_SIGNATURE.encode()
    with pytest.raises(LogError, match="does not verify"):
        open_note(note.replace(b"problem,", b"problem;"), (verifier,))
    other = Ed25519Signer("Other", Ed25519Key.generate())
    unknown = GO_TEXT + b"\n" + other.signature_line(GO_TEXT).encode()
    with pytest.raises(LogError, match="no known key"):
        open_note(unknown, (verifier,))
    # An unknown signature beside a known one is ignored.
    both = note + other.signature_line(GO_TEXT).encode()
    assert open_note(both, (verifier,)).text == GO_TEXT
    for bad in (GO_TEXT, b"text\x01\n\n" + GO_SIGNATURE.encode(), b"\xff\n\n"):
        with pytest.raises(LogError):
            open_note(bad, (verifier,))


def test_checkpoint_body_round_trip_and_refusals() -> None:
    checkpoint = Checkpoint(ORIGIN, 5, bytes(32))
    text = checkpoint.text()
    assert text == f"{ORIGIN}\n5\n{'A' * 43}=\n".encode()
    assert Checkpoint.parse(text) == checkpoint
    for bad in (
        f"{ORIGIN}\n05\n{'A' * 43}=\n",
        f"{ORIGIN}\n5\n\n{'A' * 43}=\n",
        f"{ORIGIN}\n5\nAAAA\n",
        f"{ORIGIN}\n5\n",
        f"{ORIGIN}\n-1\n{'A' * 43}=\n",
    ):
        with pytest.raises(LogError):
            Checkpoint.parse(bad.encode())


def _signed_checkpoint(size: int, witnesses: list[Cosigner]) -> tuple[Ed25519Signer, bytes]:
    log = Ed25519Signer(ORIGIN, Ed25519Key.generate())
    subtrees = memory_subtrees(entries(size))
    text = Checkpoint(ORIGIN, size, root_at(subtrees, size)).text()
    note = SignedNote.parse(text + b"\n" + log.signature_line(text).encode())
    note = note.with_signatures(tuple(w.cosign(text, 1_700_000_000) for w in witnesses))
    return log, note.format()


def test_cosignatures_count_towards_a_quorum() -> None:
    witnesses = [Cosigner(f"witness{i}.example", Ed25519Key.generate()) for i in range(3)]
    log, note = _signed_checkpoint(10, witnesses[:2])
    keys = tuple(cosignature_verifier(w.verifier.vkey) for w in witnesses)
    _checkpoint, _note, cosigned = LogPolicy(log.verifier, keys, 2).open_checkpoint(note)
    assert cosigned == 2
    with pytest.raises(LogError, match="2 witnesses cosigned"):
        LogPolicy(log.verifier, keys, 3).open_checkpoint(note)
    assert parse_vkey(witnesses[0].verifier.vkey)[1] == 0x04
    forged = note.replace(b"\n10\n", b"\n11\n")
    with pytest.raises(LogError):
        LogPolicy(log.verifier, keys, 0).open_checkpoint(forged)


def test_tlog_proof_round_trip_and_tampering() -> None:
    leaves = entries(37)
    log, note = _signed_checkpoint(37, [])
    proof = TlogProof(11, tuple(inclusion_proof(memory_subtrees(leaves), 11, 37)), note, b"x")
    text = proof.format()
    assert text.startswith(b"c2sp.org/tlog-proof@v1\nextra eA==\nindex 11\n")
    parsed = TlogProof.parse(text)
    assert parsed == proof
    policy = LogPolicy(log.verifier)
    assert parsed.verify(leaves[11], policy).size == 37
    with pytest.raises(LogError):
        parsed.verify(leaves[12], policy)
    with pytest.raises(LogError):
        TlogProof.parse(text.replace(b"index 11", b"index 12")).verify(leaves[11], policy)
    with pytest.raises(LogError):
        TlogProof.parse(text.replace(b"index 11", b"index 011"))


def test_an_event_too_large_for_an_entry_keeps_its_payload_hash() -> None:
    from bidopen.store.event_leaves import event_entry, sha256_hex
    from bidopen.store.eventlog import StoredEvent, canonical_json

    small = StoredEvent("T1", 3, "objection_raised", "2026-12-07T00:00:00.000000Z", {"t": "a"})
    assert json.loads(event_entry(small))["payload"] == {"t": "a"}
    payload = {"text": "异" * 30_000}
    large = StoredEvent("T1", 4, "objection_raised", small.at, payload)
    entry = json.loads(event_entry(large))
    assert "payload" not in entry
    assert entry["payload_sha256"] == sha256_hex(canonical_json(payload))
    assert len(event_entry(large)) < 1000
