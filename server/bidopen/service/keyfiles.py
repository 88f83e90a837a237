"""Key files of the data folder: loaded if there, else made in memory and saved after the checks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Generic, Protocol, Self, TypeVar

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


class FolderKey(Generic[K]):
    """A key of the data folder. A missing file is not written at once: the key is made in
    memory, and `save_new` writes it only once the start checks know that no database
    expects an earlier key (docs/operations.md, integrity at start)."""

    def __init__(self, path: Path, kind: type[K], what: str) -> None:
        self.path = path
        self._kind = kind
        self._what = what
        self.is_new = not path.exists()
        self.key: K = kind.generate() if self.is_new else kind.load(path)

    def save_new(self) -> None:
        if not self.is_new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.key.save(self.path)
            log.info("created %s %s", self._what, self.key.key_id)
        except FileExistsError:
            # Another process of this data folder made one first (nothing was signed or
            # wrapped yet, the hub does not serve before this): use that one.
            self.key = self._kind.load(self.path)
        self.is_new = False
