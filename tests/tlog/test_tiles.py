"""tlog-tiles paths, entry bundles, and subtree hashes read from tiles."""

from __future__ import annotations

import pytest
from tlog_kit import entries, memory_subtrees

from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import leaf_hash, perfect_root, root_at
from bidopen.tlog.tiles import (
    Tile,
    TreeEdge,
    decode_bundle,
    decode_tile,
    encode_bundle,
    encode_tile,
    parse_tile_path,
    subtree_hashes,
    tiles_of_tree,
)


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 1234067), "tile/0/x001/x234/067"),
        (Tile(1, 5, 17), "tile/1/005.p/17"),
        (Tile(0, 1000, 3, entries=True), "tile/entries/x001/000.p/3"),
        (Tile(2, 0), "tile/2/000"),
    ],
)
def test_tile_paths(tile: Tile, path: str) -> None:
    assert tile.path == path
    assert parse_tile_path(path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/5",
        "tile/0/x000/005",
        "tile/01/005",
        "tile/0/001/002",
        "tile/0/005.p/256",
        "tile/0/005.p/0",
        "tile/0/005.p/07",
        "tile/64/000",
        "tile/entries/x1/000",
        "tile/0/../000",
        "tiles/0/000",
    ],
)
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(LogError):
        parse_tile_path(path)


def test_the_tiles_of_a_tree_of_70000_leaves() -> None:
    # The example of the tlog-tiles specification.
    tiles = list(tiles_of_tree(70_000))
    assert sum(1 for t in tiles if t.level == 0 and t.is_full) == 273
    partial = sorted((t.level, t.width) for t in tiles if not t.is_full)
    assert partial == [(0, 112), (1, 17), (2, 1)]
    assert sum(1 for t in tiles if t.level == 1 and t.is_full) == 1
    assert [(t.level, t.width) for t in tiles_of_tree(256)] == [(0, 256), (1, 1)]


def test_entry_bundles() -> None:
    items = [b"", b"a", bytes(65535)]
    data = encode_bundle(items)
    assert data[:4] == b"\x00\x00\x00\x01"
    assert decode_bundle(data) == items
    for bad in (data[:-1], data[:1], b"\x00\x05abc"):
        with pytest.raises(LogError):
            decode_bundle(bad)
    with pytest.raises(LogError):
        encode_bundle([bytes(65536)])


def test_subtree_hashes_from_tiles_agree_with_the_tree() -> None:
    leaves = entries(70_000)
    hashes = [leaf_hash(e) for e in leaves]
    levels = [hashes]
    while len(levels[-1]) >= 256:
        below = levels[-1]
        levels.append([perfect_root(below[i : i + 256]) for i in range(0, len(below) - 255, 256)])

    def read(level: int, index: int) -> list[bytes]:
        return decode_tile(encode_tile(levels[level][index * 256 : (index + 1) * 256]))

    reference = memory_subtrees(leaves)
    from_tiles = subtree_hashes(read)
    for size in (1, 255, 256, 257, 65_535, 65_536, 65_537, 70_000):
        assert root_at(from_tiles, size) == root_at(reference, size)


def test_the_right_edge_grows_as_the_stored_tiles_do() -> None:
    leaves = entries(66_000)
    reference = memory_subtrees(leaves)
    stored: dict[tuple[int, int], bytes] = {}

    def read(level: int, index: int) -> list[bytes]:
        found = [stored.get((level, index * 256 + i)) for i in range(256)]
        return [h for h in found if h is not None]

    edge = TreeEdge.load(0, read)
    size = 0
    for step in (1, 254, 1, 300, 65_000, 1, 443):
        edge, rows = edge.extend([leaf_hash(e) for e in leaves[size : size + step]])
        stored.update(((lv, i), h) for lv, i, h in rows)
        size += step
        assert edge == TreeEdge.load(size, read)
        assert root_at(subtree_hashes(edge.read), size) == root_at(reference, size)
        assert root_at(subtree_hashes(read), size) == root_at(reference, size)
