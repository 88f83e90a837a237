"""The witness's rule (C2SP tlog-witness `add-checkpoint`): cosign only a checkpoint that the
log signed and that extends the last one this witness cosigned. Pure: state in, answer out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import verify_consistency
from bidopen.tlog.note import Ed25519Verifier, SignedNote, b64decode, split_head

MAX_PROOF_LINES = 63
_OLD = re.compile(r"old (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: bytes

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        lines, note = split_head(body)
        match = _OLD.fullmatch(lines[0])
        if match is None:
            raise LogError("the first line is not 'old <size>'")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise LogError("more than 63 consistency proof lines")
        return cls(int(match.group(1)), tuple(b64decode(line) for line in lines[1:]), note)


@dataclass(frozen=True, slots=True)
class Verdict:
    """An HTTP status, the body to answer, and the tree head to remember if cosigning."""

    status: int
    body: str
    accept: Checkpoint | None = None


def judge(
    request: AddCheckpoint,
    logs: Mapping[str, Ed25519Verifier],
    last: tuple[int, bytes] | None,
) -> Verdict:
    """What to answer, given the logs this witness follows and the last head it cosigned."""
    try:
        note = SignedNote.parse(request.note)
        checkpoint = Checkpoint.parse(note.text)
    except LogError as exc:
        return Verdict(400, f"bad checkpoint: {exc}\n")
    verifier = logs.get(checkpoint.origin)
    if verifier is None:
        return Verdict(404, "unknown log\n")
    try:
        signed = note.verified_by((verifier,))
    except LogError:
        signed = ()
    if not signed:
        return Verdict(403, "not signed by the log's key\n")
    if request.old_size > checkpoint.size:
        return Verdict(400, "old size beyond the checkpoint\n")
    last_size, last_root = last if last is not None else (0, b"")
    if request.old_size != last_size:
        return Verdict(409, f"{last_size}\n")
    if request.old_size == checkpoint.size:
        if request.old_size and last_root != checkpoint.root:
            return Verdict(409, f"{last_size}\n")
        if request.proof:
            return Verdict(422, "a proof between equal sizes must be empty\n")
    elif request.old_size == 0:
        if request.proof:
            return Verdict(422, "a proof from size 0 must be empty\n")
    else:
        try:
            verify_consistency(
                request.old_size, checkpoint.size, request.proof, last_root, checkpoint.root
            )
        except LogError as exc:
            return Verdict(422, f"{exc}\n")
    return Verdict(200, "", checkpoint)
