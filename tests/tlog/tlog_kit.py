"""Helpers of the log tests: the shared known-answer data and small in-memory trees."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bidopen.store.eventlog import canonical_json
from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.merkle import SubtreeHashes, inclusion_proof, leaf_hash, node_hash, tree_root
from bidopen.tlog.note import Ed25519Signer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Beside the project, not inside it: ../shared/testdata/merkle from the project's root.
MERKLE_DATA = PROJECT_ROOT.parent / "shared" / "testdata" / "merkle"


def entries(count: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(count)]


def memory_subtrees(leaves: list[bytes]) -> SubtreeHashes:
    """Subtree hashes straight from the leaf hashes (the reference the tiles must agree with)."""
    levels = [[leaf_hash(e) for e in leaves]]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def subtree(height: int, index: int) -> bytes:
        return levels[height][index]

    return subtree


_HUB_TESTS = str(PROJECT_ROOT / "tests" / "hub")
if _HUB_TESTS not in sys.path:
    sys.path.insert(0, _HUB_TESTS)  # hubtesting: the hub's API as its tests call it


def relogged(
    bundle: dict[str, Any], signer: Ed25519Signer, change: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """The platform's forgery: one event changed by `change`, the whole tree rebuilt over it,
    every inclusion proof recomputed and a checkpoint signed with the log's own key (the
    witnesses, who saw the true log, do not cosign it). The bundle must hold every leaf."""
    copy: dict[str, Any] = json.loads(json.dumps(bundle))
    entries = [base64.b64decode(e["entry"]) for e in copy["entries"]]
    assert [e["index"] for e in copy["entries"]] == list(range(len(entries)))
    for n, raw in enumerate(entries):
        body = json.loads(raw)
        before = json.dumps(body, sort_keys=True)
        change(body)
        if json.dumps(body, sort_keys=True) != before:
            entries[n] = canonical_json(body)
    hashes = [leaf_hash(e) for e in entries]

    def subtree(height: int, index: int) -> bytes:
        return tree_root(hashes[index << height : (index + 1) << height])

    size = len(entries)
    for n, item in enumerate(copy["entries"]):
        item["entry"] = base64.b64encode(entries[n]).decode()
        item["proof"] = [base64.b64encode(h).decode() for h in inclusion_proof(subtree, n, size)]
    text = Checkpoint(signer.name, size, tree_root(hashes)).text()
    copy["log"]["checkpoint"] = (text + b"\n" + signer.signature_line(text).encode()).decode()
    copy["consistency"] = None
    return copy
