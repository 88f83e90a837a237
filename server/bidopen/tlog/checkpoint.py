"""C2SP tlog-checkpoint: origin, tree size and root hash as the text of a signed note."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import HASH_LEN
from bidopen.tlog.note import b64decode, b64encode, check_note_text

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the body of a checkpoint note, without extension lines."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise LogError("a checkpoint origin is one non-empty line")
        if not 0 <= self.size < 1 << 63 or len(self.root) != HASH_LEN:
            raise LogError("a checkpoint has a size and a 32-byte root")

    def text(self) -> bytes:
        return f"{self.origin}\n{self.size}\n{b64encode(self.root)}\n".encode()

    @classmethod
    def parse(cls, text: bytes) -> Checkpoint:
        """The tree head of a checkpoint body; extension lines are refused (this log has none)."""
        lines = check_note_text(text).split("\n")[:-1]
        if len(lines) != 3 or not all(lines):
            raise LogError("a checkpoint body is exactly origin, size and root")
        if not _SIZE.fullmatch(lines[1]):
            raise LogError("the checkpoint size is not a decimal number")
        return cls(lines[0], int(lines[1]), b64decode(lines[2]))
