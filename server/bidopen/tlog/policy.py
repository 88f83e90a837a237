"""Whose signatures a checkpoint needs: the log's key and k of the listed witnesses."""

from __future__ import annotations

from dataclasses import dataclass

from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.cosignature import CosignatureVerifier
from bidopen.tlog.errors import LogError
from bidopen.tlog.note import Ed25519Verifier, SignedNote


@dataclass(frozen=True, slots=True)
class LogPolicy:
    """The log's verifier key, the witnesses' keys and how many of them must cosign."""

    log: Ed25519Verifier
    witnesses: tuple[CosignatureVerifier, ...] = ()
    quorum: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.quorum <= len(self.witnesses):
            raise LogError(f"a quorum of {self.quorum} out of {len(self.witnesses)} witnesses")

    def open_checkpoint(self, note: bytes) -> tuple[Checkpoint, SignedNote, int]:
        """The checkpoint, its note and how many witnesses cosigned it; LogError if short."""
        parsed = SignedNote.parse(note)
        if not parsed.verified_by((self.log,)):
            raise LogError(f"the checkpoint is not signed by the log key {self.log.name}")
        checkpoint = Checkpoint.parse(parsed.text)
        if checkpoint.origin != self.log.name:
            raise LogError(f"the checkpoint's origin is not {self.log.name}")
        cosigned = len(parsed.verified_by(self.witnesses))
        if cosigned < self.quorum:
            raise LogError(f"{cosigned} witnesses cosigned the checkpoint, {self.quorum} needed")
        return checkpoint, parsed, cosigned
