"""Durable storage of sealed files: temp file, fsync file, rename, fsync directory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from pathlib import Path

# Sealed files live at bids/<2 hex>/<32 hex>.bid: random names, so no file or folder name
# carries a tender, lot or bidder id or anything else a user chose (the row names the file).
# The first two digits spread the files over 256 folders.
SEALED_SUFFIX = ".bid"
RANDOM_NAME = re.compile(r"[0-9a-f]{2}/[0-9a-f]{32}\.bid")
INCOMING = ".incoming"


class UnsafePath(ValueError):
    """A path that would lie outside the folder it must stay in."""


def inside(root: Path, path: Path) -> Path:
    """`path` resolved, refused unless it lies inside `root` (checked on every final path)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise UnsafePath(f"{path} is outside {root}")
    return resolved


def new_sealed_path(root: Path) -> Path:
    """A fresh name for an accepted sealed file, made of random digits only."""
    name = secrets.token_hex(16)
    return inside(root, root / name[:2] / f"{name}{SEALED_SUFFIX}")


def stored_path(root: Path, relative: str) -> Path:
    """The file a bid row names; a row is data, so its path is checked like any other."""
    return inside(root, root / relative)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IncomingFile:
    """A sealed file being received; nothing is visible under its final name until `commit`."""

    def __init__(self, root: Path, node: str) -> None:
        # Each node receives into a folder of its own (`clear_incoming`).
        self._root = root
        self._incoming = root / INCOMING / node
        self._incoming.mkdir(parents=True, exist_ok=True)
        self.temp_path = self._incoming / f"{secrets.token_hex(16)}.part"
        self._file = open(self.temp_path, "xb")  # noqa: SIM115 - closed by commit/discard
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self.size += len(chunk)

    def sync_so_far(self) -> None:
        """Flush what was written so far to the disk (blocking: call it off the event loop)."""
        self._file.flush()
        os.fdatasync(self._file.fileno())

    async def make_durable(self) -> None:
        """Flush and fsync the bytes; after this returns, the content survives a power cut."""
        self._file.flush()
        await asyncio.to_thread(os.fsync, self._file.fileno())
        self._file.close()

    async def commit(self, final: Path) -> None:
        """Rename into place and fsync both directories (call after `make_durable`)."""
        inside(self._root, final)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.temp_path, final)
        await asyncio.to_thread(_fsync_dir, final.parent)
        await asyncio.to_thread(_fsync_dir, self._incoming)

    def discard(self) -> None:
        if not self._file.closed:
            # Closing flushes the buffer, which fails on a full disk: the file goes anyway.
            with contextlib.suppress(OSError):
                self._file.close()
        self.temp_path.unlink(missing_ok=True)


def remove_file(path: Path) -> None:
    """Remove a file that a refused upload left in place (its row was never committed)."""
    path.unlink(missing_ok=True)
    if path.parent.exists():
        _fsync_dir(path.parent)


def clear_incoming(root: Path, node: str) -> int:
    """Delete half-received files a crash of this node left; they never had a receipt.

    Only this node's own folder (`Config.node_name`): nodes sharing the data folder each
    clean their own, so a node's start never removes another's upload in progress.
    Returns the count.
    """
    incoming = root / INCOMING / node
    if not incoming.exists():
        return 0
    parts = list(incoming.glob("*.part"))
    for part in parts:
        part.unlink(missing_ok=True)
    return len(parts)
