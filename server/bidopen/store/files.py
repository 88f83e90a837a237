"""Durable storage of sealed files: temp file, fsync file, rename, fsync directory."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IncomingFile:
    """A sealed file being received; nothing is visible under its final name until `commit`."""

    def __init__(self, root: Path) -> None:
        self._incoming = root / ".incoming"
        self._incoming.mkdir(parents=True, exist_ok=True)
        self.temp_path = self._incoming / f"{secrets.token_hex(16)}.part"
        self._file = open(self.temp_path, "xb")  # noqa: SIM115 - closed by commit/discard
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self.size += len(chunk)

    async def make_durable(self) -> None:
        """Flush and fsync the bytes; after this returns, the content survives a power cut."""
        self._file.flush()
        await asyncio.to_thread(os.fsync, self._file.fileno())
        self._file.close()

    async def commit(self, final: Path) -> None:
        """Rename into place and fsync both directories (call after `make_durable`)."""
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.temp_path, final)
        await asyncio.to_thread(_fsync_dir, final.parent)
        await asyncio.to_thread(_fsync_dir, self._incoming)

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.temp_path.unlink(missing_ok=True)


def remove_file(path: Path) -> None:
    """Remove a file that a refused upload left in place (its row was never committed)."""
    path.unlink(missing_ok=True)
    if path.parent.exists():
        _fsync_dir(path.parent)


def clear_incoming(root: Path) -> int:
    """Delete half-received files left by a crash; they never had a receipt. Returns the count."""
    incoming = root / ".incoming"
    if not incoming.exists():
        return 0
    parts = list(incoming.glob("*.part"))
    for part in parts:
        part.unlink(missing_ok=True)
    return len(parts)
