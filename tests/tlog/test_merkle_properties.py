"""Proofs we generate verify for every pair of sizes up to 300, and one changed hash fails."""

from __future__ import annotations

import pytest
from tlog_kit import entries, memory_subtrees

from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_at,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

LIMIT = 300
LEAVES = entries(LIMIT)
SUBTREES = memory_subtrees(LEAVES)
ROOTS = [tree_root([leaf_hash(e) for e in LEAVES[:n]]) for n in range(LIMIT + 1)]


def _flip(proof: list[bytes], at: int) -> list[bytes]:
    changed = list(proof)
    changed[at] = bytes([changed[at][0] ^ 1]) + changed[at][1:]
    return changed


def test_roots_from_subtrees_match_the_reference() -> None:
    for n in range(LIMIT + 1):
        assert root_at(SUBTREES, n) == ROOTS[n]


def test_consistency_for_every_pair_of_sizes() -> None:
    for m in range(1, LIMIT + 1):
        for n in range(m, LIMIT + 1):
            proof = consistency_proof(SUBTREES, m, n)
            verify_consistency(m, n, proof, ROOTS[m], ROOTS[n])
            if proof:
                at = (m * 7 + n) % len(proof)
                with pytest.raises(LogError):
                    verify_consistency(m, n, _flip(proof, at), ROOTS[m], ROOTS[n])
                with pytest.raises(LogError):
                    verify_consistency(m, n, proof[:-1], ROOTS[m], ROOTS[n])
            if m < n:
                with pytest.raises(LogError):
                    verify_consistency(m, n, proof, ROOTS[m - 1], ROOTS[n])


def test_inclusion_for_every_leaf_of_every_size() -> None:
    for n in range(1, LIMIT + 1):
        for i in range(n):
            proof = inclusion_proof(SUBTREES, i, n)
            verify_inclusion(leaf_hash(LEAVES[i]), i, n, proof, ROOTS[n])
            if proof:
                with pytest.raises(LogError):
                    verify_inclusion(
                        leaf_hash(LEAVES[i]), i, n, _flip(proof, (i + n) % len(proof)), ROOTS[n]
                    )
            with pytest.raises(LogError):
                verify_inclusion(leaf_hash(b"another entry"), i, n, proof, ROOTS[n])


def test_out_of_range_requests_are_refused() -> None:
    with pytest.raises(LogError):
        inclusion_proof(SUBTREES, 5, 5)
    with pytest.raises(LogError):
        consistency_proof(SUBTREES, 6, 5)
