"""Helpers of the log tests: the shared known-answer data and small in-memory trees."""

from __future__ import annotations

import sys
from pathlib import Path

from bidopen.tlog.merkle import SubtreeHashes, leaf_hash, node_hash

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
