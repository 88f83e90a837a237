"""Known answers of RFC 6962 hashing and proofs (transparency-dev/merkle's test data)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from tlog_kit import MERKLE_DATA

from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import leaf_hash, tree_root, verify_consistency, verify_inclusion


def _cases(kind: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((MERKLE_DATA / kind).rglob("*.json"))
    return [(str(f.relative_to(MERKLE_DATA)), json.loads(f.read_text())) for f in files]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in case["proof"] or []]


def test_the_data_is_there() -> None:
    assert MERKLE_DATA.is_dir(), f"the known-answer data is missing at {MERKLE_DATA}"
    assert len(_cases("inclusion")) > 50
    assert len(_cases("consistency")) > 50


def test_reference_tree_roots() -> None:
    ref = json.loads((MERKLE_DATA / "reference-tree.json").read_text())
    leaves = [bytes.fromhex(h) for h in ref["leaf_inputs_hex"]]
    roots = [bytes.fromhex(h) for h in ref["root_hashes_hex_by_tree_size"]]
    for size, root in enumerate(roots):
        assert tree_root([leaf_hash(e) for e in leaves[:size]]) == root, size


@pytest.mark.parametrize(("name", "case"), _cases("inclusion"), ids=lambda v: str(v)[:60])
def test_inclusion_case(name: str, case: dict[str, Any]) -> None:
    def check() -> None:
        verify_inclusion(
            _b64(case["leafHash"]),
            case["leafIdx"],
            case["treeSize"],
            _proof(case),
            _b64(case["root"]),
        )

    if case["wantErr"]:
        with pytest.raises(LogError):
            check()
    else:
        check()


@pytest.mark.parametrize(("name", "case"), _cases("consistency"), ids=lambda v: str(v)[:60])
def test_consistency_case(name: str, case: dict[str, Any]) -> None:
    def check() -> None:
        verify_consistency(
            case["size1"], case["size2"], _proof(case), _b64(case["root1"]), _b64(case["root2"])
        )

    if case["wantErr"]:
        with pytest.raises(LogError):
            check()
    else:
        check()


def test_every_case_is_read() -> None:
    names = {Path(n).name for n, _ in _cases("inclusion") + _cases("consistency")}
    assert "happy-path.json" in names
