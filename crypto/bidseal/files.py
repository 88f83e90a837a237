"""Output files that appear whole or not at all: temp file in the same folder, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_output", "write_new_file"]


def _fsync_directory(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(temp: Path, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, target)
    else:
        # link() fails if the target exists, so two writers cannot both win and an
        # existing file is never replaced between a check and a rename.
        os.link(temp, target)
        temp.unlink()
    _fsync_directory(target.parent)


@contextlib.contextmanager
def atomic_output(
    target: str | os.PathLike[str], *, overwrite: bool = False, mode: int = 0o644
) -> Iterator[BinaryIO]:
    """Yield a temp file beside ``target``; on success fsync and rename it to ``target``.

    On any exception the temp file is removed and ``target`` is untouched.
    Raises FileExistsError if ``target`` exists and ``overwrite`` is false.
    """
    path = Path(target)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} already exists")
    folder = path.parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    temp = Path(temp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _publish(temp, path, overwrite=overwrite)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_new_file(target: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to a file that must not exist yet, atomically."""
    with atomic_output(target, overwrite=False, mode=mode) as handle:
        handle.write(data)
