"""The newest signed checkpoint of the public log, kept in the data folder beside the database.

The database alone cannot show that its newest rows were deleted: a log cut at size n, with
its later checkpoints deleted too, is a valid log. This file remembers how far the log
reached. It is replaced atomically after each checkpoint is signed, so it may lag the
database after a crash, never lead it; the hub checks the stored tree against it at start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.errors import LogError
from bidopen.tlog.note import Ed25519Verifier
from bidopen.tlog.policy import LogPolicy

CHECKPOINT_FILE = "log-checkpoint"


class KeptCheckpoint:
    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, verifier: Ed25519Verifier) -> Checkpoint | None:
        """The kept checkpoint, None if there is none; LogError if it does not verify."""
        try:
            note = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return LogPolicy(verifier).open_checkpoint(note)[0]
        except LogError as exc:
            raise LogError(f"{self.path.name} does not verify with this log's key: {exc}") from exc

    def keep(self, note: bytes, verifier: Ed25519Verifier) -> None:
        """Keep `note` unless the file already holds a checkpoint at least as large."""
        new = LogPolicy(verifier).open_checkpoint(note)[0]
        try:
            current = self.read(verifier)
        except LogError:
            current = None  # replaced by one that verifies; the start check reported it
        if current is not None and current.size >= new.size:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.parent / f".{secrets.token_hex(8)}.tmp"
        with temp.open("wb") as out:
            out.write(note)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)
