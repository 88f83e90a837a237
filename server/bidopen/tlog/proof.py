"""C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): an entry's index, its inclusion proof and
the (cosigned) checkpoint it leads to, in one text that can be checked offline."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import leaf_hash, verify_inclusion
from bidopen.tlog.note import b64decode, b64encode, split_head
from bidopen.tlog.policy import LogPolicy

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True, slots=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint_note: bytes
    extra: bytes | None = None

    def format(self) -> bytes:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines += [b64encode(h) for h in self.hashes]
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint_note

    @classmethod
    def parse(cls, data: bytes) -> TlogProof:
        lines, note = split_head(data)
        if lines[0] != HEADER:
            raise LogError(f"the proof does not start with {HEADER}")
        at, extra = 1, None
        if len(lines) > at and lines[at].startswith("extra "):
            extra = b64decode(lines[at][len("extra ") :])
            at += 1
        match = _INDEX.fullmatch(lines[at]) if len(lines) > at else None
        if match is None:
            raise LogError("the proof has no index line")
        hashes = tuple(b64decode(line) for line in lines[at + 1 :])
        return cls(int(match.group(1)), hashes, note, extra)

    def verify(self, entry: bytes, policy: LogPolicy) -> Checkpoint:
        """The checkpoint, once the entry is proven at `index` under a policy-approved one."""
        checkpoint, _note, _cosigned = policy.open_checkpoint(self.checkpoint_note)
        verify_inclusion(
            leaf_hash(entry), self.index, checkpoint.size, self.hashes, checkpoint.root
        )
        return checkpoint
