"""RFC 6962 / RFC 9162 Merkle trees: hashing, tree heads, inclusion and consistency proofs.

Proofs are computed from complete subtree hashes, which a `SubtreeHashes` source gives by
(height, index); `bidopen.tlog.tiles` builds such a source over the tiles of a log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from bidopen.tlog.errors import LogError

HASH_LEN = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# The hash of the complete subtree of 2**height leaves that starts at leaf index * 2**height.
SubtreeHashes = Callable[[int, int], bytes]


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """The root over a power-of-two number of hashes (the subtree they are the leaves of)."""
    level = list(hashes)
    if not level or len(level) & (len(level) - 1):
        raise ValueError("a perfect subtree has a power-of-two number of leaves")
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def tree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves (RFC 6962 section 2.1); a reference for tests and small trees."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _range_hash(
        lambda h, k: perfect_root(leaf_hashes[k << h : (k + 1) << h]), 0, len(leaf_hashes)
    )


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_hash(subtree: SubtreeHashes, lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) where lo is a multiple of the largest power of two below hi - lo."""
    n = hi - lo
    if n & (n - 1) == 0:
        height = n.bit_length() - 1
        return subtree(height, lo >> height)
    k = _split(n)
    return node_hash(_range_hash(subtree, lo, lo + k), _range_hash(subtree, lo + k, hi))


def root_at(subtree: SubtreeHashes, size: int) -> bytes:
    """The root hash of the tree of the first `size` leaves."""
    return EMPTY_ROOT if size == 0 else _range_hash(subtree, 0, size)


def inclusion_proof(subtree: SubtreeHashes, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]): the audit path from the leaf's sibling up to the root's child."""
    if not 0 <= index < size:
        raise LogError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_range_hash(subtree, lo + k, hi))
            hi = lo + k
        else:
            path.append(_range_hash(subtree, lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_proof(subtree: SubtreeHashes, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) (RFC 6962 section 2.1.2); empty when the sizes match."""
    if not 0 <= old_size <= new_size:
        raise LogError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi:
        k = _split(hi - lo)
        if m - lo <= k:
            proof.append(_range_hash(subtree, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_range_hash(subtree, lo, lo + k))
            lo, whole = lo + k, False
    if not whole:
        proof.append(_range_hash(subtree, lo, hi))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise LogError unless `proof` shows leaf hash `leaf` at `index` in the tree `root`."""
    if not 0 <= index < size:
        raise LogError(f"leaf index {index} is outside a tree of size {size}")
    if len(leaf) != HASH_LEN or any(len(p) != HASH_LEN for p in proof):
        raise LogError("a hash of the inclusion proof is not 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise LogError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise LogError("the inclusion proof is shorter than the tree is deep")
    if r != root:
        raise LogError("the inclusion proof does not lead to the root hash")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Raise LogError unless `proof` shows the tree `new_root` extends the tree `old_root`."""
    if old_size > new_size:
        raise LogError(f"the old size {old_size} is larger than the new size {new_size}")
    if old_size == new_size:
        if proof:
            raise LogError("trees of the same size need an empty consistency proof")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise LogError("the root of an empty tree is the hash of nothing")
        if old_root != new_root:
            raise LogError("two trees of the same size have different roots")
        return
    if old_size == 0:
        # Every tree extends the empty one: a "proof" of it proves nothing, so none is accepted.
        raise LogError("a consistency proof from the empty tree proves nothing")
    if not proof:
        raise LogError("the consistency proof is empty")
    if any(len(p) != HASH_LEN for p in proof):
        raise LogError("a hash of the consistency proof is not 32 bytes")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise LogError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise LogError("the consistency proof is too short")
    if fr != old_root:
        raise LogError("the consistency proof does not lead to the old root")
    if sr != new_root:
        raise LogError("the consistency proof does not lead to the new root")
