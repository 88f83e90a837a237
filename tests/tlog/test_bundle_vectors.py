"""The bundle vectors (tests/vectors/bundle) hold `bidopen verify` and the /verify page to the
same answers: this is the Python side; client_web/test/bundle-verify.test.mjs the browser's."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
sys.path.insert(0, str(VECTORS))

from make_bundle_vectors import OUT, python_verdict, trust_of  # noqa: E402

from bidopen.tlog.cosignature import cosignature_verifier  # noqa: E402
from bidopen.tlog.note import ed25519_verifier  # noqa: E402
from bidopen.tlog.policy import LogPolicy  # noqa: E402
from bidopen.verify.check import VerificationFailed, check_receipt_proof  # noqa: E402
from bidseal.codec import b64u_decode  # noqa: E402

MANIFEST: dict[str, Any] = json.loads((OUT / "manifest.json").read_text(encoding="utf-8"))


def test_the_manifest_names_every_file() -> None:
    named = {c["bundle"] for c in MANIFEST["cases"]} | {MANIFEST["receipt_proof"]["file"]}
    for case in MANIFEST["cases"]:
        named |= {v for k, v in case["trust"].items() if k in {"server_key", "receipts", "old"}}
    on_disk = {p.name for p in OUT.iterdir()} - {"manifest.json"}
    assert named == on_disk
    assert sum(c["expect"] != "VERIFIED" for c in MANIFEST["cases"]) >= 10


@pytest.mark.parametrize("case", MANIFEST["cases"], ids=lambda c: c["name"])
def test_bidopen_verify_answers_as_recorded(case: dict[str, Any]) -> None:
    assert python_verdict(OUT / case["bundle"], trust_of(case["trust"])) == case["expect"]


def test_the_receipt_proof_proves_its_receipt_only() -> None:
    spec = MANIFEST["receipt_proof"]
    proof = (OUT / spec["file"]).read_bytes()
    lines = (OUT / "receipts.jsonl").read_text(encoding="utf-8").splitlines()
    receipts = [json.loads(line) for line in lines if line.strip()]
    key = b64u_decode(json.loads((OUT / "server-key.json").read_text())["key"])
    witnesses = tuple(cosignature_verifier(v) for v in MANIFEST["witnesses"])
    policy = LogPolicy(ed25519_verifier(MANIFEST["log_vkey"]), witnesses, 2)
    index, size = check_receipt_proof(proof, receipts[spec["receipt"]], policy, key)
    assert index < size
    with pytest.raises(VerificationFailed, match="not this receipt's bid"):
        check_receipt_proof(proof, receipts[spec["other_receipt"]], policy, key)
