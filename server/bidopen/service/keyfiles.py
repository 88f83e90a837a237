"""Key files of the data folder: loaded if there, else made once, whichever process comes first."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, Self, TypeVar

log = logging.getLogger("bidopen.keyfiles")


class KeyFile(Protocol):
    """What a key kept in a file offers: `load`, `generate`, `save` (never overwrites), an id."""

    @classmethod
    def load(cls, path: Path) -> Self: ...

    @classmethod
    def generate(cls) -> Self: ...

    def save(self, path: Path) -> None: ...

    @property
    def key_id(self) -> str: ...


K = TypeVar("K", bound=KeyFile)


def load_or_create(path: Path, kind: type[K], what: str) -> K:
    """The key in `path`; on first start a new one, written 0600 by `save`."""
    if path.exists():
        return kind.load(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = kind.generate()
    try:
        key.save(path)
    except FileExistsError:
        # Another process of this data folder made one first: use that one.
        return kind.load(path)
    log.info("created %s %s", what, key.key_id)
    return key
