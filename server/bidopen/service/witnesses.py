"""The log's side of C2SP tlog-witness: send a checkpoint and a consistency proof, keep the
cosignatures that verify."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import aiohttp

from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.cosignature import CosignatureVerifier, cosignature_verifier
from bidopen.tlog.errors import LogError
from bidopen.tlog.note import NoteSignature, SignedNote, b64encode

if TYPE_CHECKING:
    from bidopen.service.publiclog import PublicLog

_TIMEOUT = aiohttp.ClientTimeout(total=10)
# At start: a witness that is down or slow must not hold the hub back for long.
_START_TIMEOUT = aiohttp.ClientTimeout(total=5)
_SIZE_TYPE = "text/x.tlog.size"


def add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: bytes) -> bytes:
    lines = [f"old {old_size}", *(b64encode(h) for h in proof)]
    return ("\n".join(lines) + "\n\n").encode() + note


class WitnessClient:
    """One configured witness: its submission URL and its cosignature key."""

    def __init__(self, url: str, verifier: CosignatureVerifier) -> None:
        self.url = url.rstrip("/")
        self.verifier = verifier
        self._old_size = 0  # the size it last cosigned, as far as this node knows

    @classmethod
    def from_setting(cls, setting: str) -> WitnessClient:
        """From `URL VKEY` (the `log_witnesses` setting)."""
        url, vkey = setting.split()
        return cls(url, cosignature_verifier(vkey))

    async def cosign(self, log: PublicLog, note: bytes) -> list[NoteSignature]:
        parsed = SignedNote.parse(note)
        size = Checkpoint.parse(parsed.text).size
        async with aiohttp.ClientSession(timeout=_TIMEOUT) as http:
            for _attempt in range(2):
                old = min(self._old_size, size)
                proof = await log.consistency_proof(old, size) if old else []
                body = add_checkpoint_body(old, proof, note)
                async with http.post(f"{self.url}/add-checkpoint", data=body) as response:
                    text = await response.text()
                    if response.status == 409 and response.content_type == _SIZE_TYPE:
                        self._old_size = _size(text)  # it saw another size: retry from it
                        continue
                    if response.status != 200:
                        raise LogError(f"witness answered {response.status}: {text.strip()[:200]}")
                return self._accept(parsed, size, text)
        raise LogError("the witness keeps answering with another size")

    async def size_seen(self, note: bytes) -> int | None:
        """How far this witness has cosigned the log, asked at start with `note`, a checkpoint
        of the stored tree, offered from its own size: None if the witness is at that very
        tree (it cosigns it again, which changes nothing), else the size it last cosigned
        (its 409). A witness at the same size with another root answers that size too."""
        parsed = SignedNote.parse(note)
        size = Checkpoint.parse(parsed.text).size
        async with (
            aiohttp.ClientSession(timeout=_START_TIMEOUT) as http,
            http.post(
                f"{self.url}/add-checkpoint", data=add_checkpoint_body(size, [], note)
            ) as response,
        ):
            text = await response.text()
            if response.status == 409 and response.content_type == _SIZE_TYPE:
                seen = _size(text)
                self._old_size = seen  # where the first cosigning after start begins
                return seen
            if response.status != 200:
                raise LogError(f"witness answered {response.status}: {text.strip()[:200]}")
        self._accept(parsed, size, text)
        return None

    def _accept(self, parsed: SignedNote, size: int, text: str) -> list[NoteSignature]:
        try:
            offered = SignedNote.parse(parsed.text + b"\n" + text.encode()).signatures
        except LogError as exc:
            raise LogError(f"the witness's answer is not signature lines: {exc}") from exc
        mine = tuple(
            s for s in offered if (s.name, s.key_id) == (self.verifier.name, self.verifier.key_id)
        )
        if not SignedNote(parsed.text, mine).verified_by((self.verifier,)):
            raise LogError("the witness sent no valid cosignature")
        self._old_size = size
        return list(mine)


def _size(text: str) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdecimal() or len(value) > 20:
        raise LogError(f"the witness's size is not a number: {value[:40]!r}")
    return int(value)
