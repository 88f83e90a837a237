"""C2SP tlog-tiles: tile and entry-bundle paths, bundle encoding, subtree hashes from tiles.

A tile at level L holds up to 256 consecutive hashes of tree height 8 * L; its index N is
written in three-digit groups (`x001/x234/067`); a partial tile carries its width (`.p/W`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import HASH_LEN, SubtreeHashes, perfect_root

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_ENTRY_BYTES = 0xFFFF  # the big-endian uint16 length prefix of an entry bundle

# The hashes a tile holds so far, in order: (level, index) -> at most 256 hashes.
TileReader = Callable[[int, int], Sequence[bytes]]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True, slots=True)
class Tile:
    """A hash tile (`entries` false) or an entry bundle; `width` 256 is a full one."""

    level: int
    index: int
    width: int = TILE_WIDTH
    entries: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_LEVEL or (self.entries and self.level != 0):
            raise LogError(f"no tile level {self.level}")
        if self.index < 0 or not 1 <= self.width <= TILE_WIDTH:
            raise LogError(f"no tile {self.index} of width {self.width}")

    @property
    def path(self) -> str:
        head = "tile/entries" if self.entries else f"tile/{self.level}"
        tail = "" if self.width == TILE_WIDTH else f".p/{self.width}"
        return f"{head}/{_index_path(self.index)}{tail}"

    @property
    def is_full(self) -> bool:
        return self.width == TILE_WIDTH

    def first_leaf(self) -> int:
        return self.index << (TILE_HEIGHT * (self.level + 1))

    def last_leaf_end(self) -> int:
        """One past the last leaf the tile's hashes cover."""
        return (self.index * TILE_WIDTH + self.width) << (TILE_HEIGHT * self.level)


def _index_path(index: int) -> str:
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def parse_tile_path(path: str) -> Tile:
    """The tile a `tile/...` path names; LogError unless the path is written canonically."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise LogError("not a tile path")
    entries = parts[1] == "entries"
    if not entries and not _DECIMAL.fullmatch(parts[1]):
        raise LogError("bad tile level")
    level = 0 if entries else int(parts[1])
    rest = parts[2:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _DECIMAL.fullmatch(rest[-1]):
            raise LogError("bad partial tile width")
        width = int(rest[-1])
        if width >= TILE_WIDTH:
            raise LogError("a partial tile is narrower than 256")
        rest = [*rest[:-2], rest[-2].removesuffix(".p")]
    index = 0
    for i, group in enumerate(rest):
        digits = group[1:] if i < len(rest) - 1 and group.startswith("x") else group
        if i < len(rest) - 1 and not group.startswith("x"):
            raise LogError("bad tile index")
        if not re.fullmatch(r"[0-9]{3}", digits):
            raise LogError("bad tile index")
        index = index * 1000 + int(digits)
    tile = Tile(level, index, width, entries)
    if tile.path != path:
        raise LogError("the tile path is not written canonically")
    return tile


def tile_width(level: int, index: int, size: int) -> int:
    """How many hashes tile (level, index) holds in the tree of `size` leaves (0..256)."""
    stored = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, stored - index * TILE_WIDTH))


def tiles_of_tree(size: int) -> Iterator[Tile]:
    """Every hash tile, full or partial, that a tree of `size` leaves is served as."""
    level = 0
    while size >> (TILE_HEIGHT * level):
        stored = size >> (TILE_HEIGHT * level)
        for index in range((stored + TILE_WIDTH - 1) // TILE_WIDTH):
            yield Tile(level, index, tile_width(level, index, size))
        level += 1


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """An entry bundle: each entry after its big-endian uint16 length."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise LogError(f"an entry is longer than {MAX_ENTRY_BYTES} bytes")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise LogError("the entry bundle ends inside a length")
        length = int.from_bytes(data[at : at + 2], "big")
        at += 2
        if at + length > len(data):
            raise LogError("the entry bundle ends inside an entry")
        entries.append(data[at : at + length])
        at += length
    return entries


def encode_tile(hashes: Sequence[bytes]) -> bytes:
    return b"".join(hashes)


def decode_tile(data: bytes) -> list[bytes]:
    if not data or len(data) % HASH_LEN or len(data) > TILE_WIDTH * HASH_LEN:
        raise LogError("a hash tile is 1 to 256 hashes of 32 bytes")
    return [data[i : i + HASH_LEN] for i in range(0, len(data), HASH_LEN)]


def subtree_hashes(read: TileReader) -> SubtreeHashes:
    """Complete subtree hashes computed from tiles; each tile is read at most once."""
    cache: dict[tuple[int, int], Sequence[bytes]] = {}

    def subtree(height: int, index: int) -> bytes:
        level, below = divmod(height, TILE_HEIGHT)
        first = index << below
        key = (level, first // TILE_WIDTH)
        if key not in cache:
            cache[key] = read(*key)
        offset = first % TILE_WIDTH
        hashes = cache[key][offset : offset + (1 << below)]
        if len(hashes) != 1 << below:
            raise LogError(f"tile {key[0]}/{key[1]} lacks the hashes of subtree {height}/{index}")
        return perfect_root(hashes)

    return subtree


def appended_hashes(
    size: int, read: TileReader, leaves: Sequence[bytes]
) -> list[tuple[int, int, bytes]]:
    """The (level, index, hash) rows that appending `leaves` to a tree of `size` adds.

    Level 0 gets the leaf hashes; a tile that fills up gives its root to the level above.
    """
    rows: list[tuple[int, int, bytes]] = []
    level, count, added = 0, size, [bytes(h) for h in leaves]
    while added:
        start = count - count % TILE_WIDTH
        run = list(read(level, start // TILE_WIDTH))[: count - start] if count > start else []
        if len(run) != count - start:
            raise LogError(f"tile {level}/{start // TILE_WIDTH} lacks hashes")
        rows += [(level, count + i, h) for i, h in enumerate(added)]
        run += added
        added = [
            perfect_root(run[i : i + TILE_WIDTH])
            for i in range(0, len(run) - TILE_WIDTH + 1, TILE_WIDTH)
        ]
        level, count = level + 1, count // TILE_WIDTH
    return rows


@dataclass(frozen=True, slots=True)
class TreeEdge:
    """The rightmost, partial tile of every level of a tree of `size`: all that appending
    and the root need, so an append reads no tile (`partial[L]` holds `size >> 8L` mod 256
    hashes, possibly none)."""

    size: int
    partial: tuple[tuple[bytes, ...], ...]

    @classmethod
    def load(cls, size: int, read: TileReader) -> TreeEdge:
        partial = []
        level = 0
        while size >> (TILE_HEIGHT * level):
            count = size >> (TILE_HEIGHT * level)
            width = count % TILE_WIDTH
            hashes = tuple(read(level, count // TILE_WIDTH))[:width] if width else ()
            if len(hashes) != width:
                raise LogError(f"tile {level}/{count // TILE_WIDTH} lacks hashes")
            partial.append(hashes)
            level += 1
        return cls(size, tuple(partial))

    def read(self, level: int, index: int) -> Sequence[bytes]:
        """A TileReader of the partial tiles only (the root and appends ask for no other)."""
        count = self.size >> (TILE_HEIGHT * level)
        if index != count // TILE_WIDTH:
            raise LogError(f"tile {level}/{index} is not at the edge of the tree")
        return self.partial[level] if level < len(self.partial) else ()

    def extend(self, leaves: Sequence[bytes]) -> tuple[TreeEdge, list[tuple[int, int, bytes]]]:
        """The edge after appending `leaves`, and the (level, index, hash) rows to store."""
        rows = appended_hashes(self.size, self.read, leaves)
        size = self.size + len(leaves)
        added: dict[int, list[tuple[int, bytes]]] = {}
        for level, index, digest in rows:
            added.setdefault(level, []).append((index, digest))
        partial = []
        level = 0
        while size >> (TILE_HEIGHT * level):
            count = size >> (TILE_HEIGHT * level)
            first = count - count % TILE_WIDTH
            old_count = self.size >> (TILE_HEIGHT * level)
            known = {}
            if old_count - old_count % TILE_WIDTH == first and level < len(self.partial):
                known = {first + i: h for i, h in enumerate(self.partial[level])}
            known.update((i, h) for i, h in added.get(level, []) if i >= first)
            partial.append(tuple(known[i] for i in range(first, count)))
            level += 1
        return TreeEdge(size, tuple(partial)), rows
