"""Signed heads of every session's log, kept outside the database: a shortened log is noticed."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bidopen.clock import Clock, iso
from bidopen.service.signing import ServerSigner, document_text
from bidopen.session.state import OpeningSession
from bidopen.store.eventlog import StoredEvent
from bidopen.store.files import inside
from bidseal import InvalidSignedDocument, verify_document
from bidseal.ids import is_hub_id

log = logging.getLogger("bidopen.log_heads")

LOG_HEADS_DIR = "log-heads"


@dataclass(frozen=True)
class Anchor:
    """The newest head of a session's log that this data folder has seen signed."""

    seq: int
    hash: str


class BadAnchor(Exception):
    """A head file whose signature does not verify under any key this hub holds."""


class LogHeads:
    """Writes a signed `log-head` document per session after each commit, and reads it back.

    The database alone cannot show that its newest events were deleted: a log cut after
    seq n is a valid chain. The head signed here, in the data folder (and, once the
    transparency log lands, in the public log) remembers how far the log reached. A file
    per session, named by the tender code the hub issued, replaced atomically; it is
    written after the commit, so it may lag the log after a crash, never lead it.
    """

    def __init__(self, data_dir: Path, signer: ServerSigner, clock: Clock) -> None:
        self._folder = data_dir / LOG_HEADS_DIR
        self._signer = signer
        self._clock = clock
        self._written: dict[str, int] = {}
        self._pending: dict[str, tuple[int, str]] = {}
        self._writer: asyncio.Task[None] | None = None

    def _path(self, session_id: str) -> Path | None:
        if not is_hub_id(session_id):
            return None  # a session of an older release with an id outside the pattern
        return inside(self._folder, self._folder / f"{session_id}.json")

    async def publish(
        self, session_id: str, events: Sequence[StoredEvent], state: OpeningSession
    ) -> None:
        """Called after each commit (a `Publisher` of the session service).

        Signing and writing take a few milliseconds, so they run on a thread, one head at a
        time, and a burst of commits (every bidder confirming at once) is written as its
        newest head only: the file may lag the log, never lead it.
        """
        if not events:
            return
        self._pending[session_id] = (events[-1].seq, events[-1].hash)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="log-heads")

    async def _drain(self) -> None:
        while self._pending:
            session_id, (seq, head_hash) = self._pending.popitem()
            try:
                await asyncio.to_thread(self.record, session_id, seq, head_hash)
            except OSError:
                log.exception("writing the signed head of session %s failed", session_id)

    async def flush(self) -> None:
        """Write what is pending (at shutdown)."""
        if self._writer is not None:
            await self._writer

    def record(self, session_id: str, seq: int, head_hash: str) -> None:
        path = self._path(session_id)
        if path is None or self._written.get(session_id, 0) >= seq:
            return
        document = self._signer.sign(
            "log-head",
            {"session": session_id, "seq": seq, "hash": head_hash, "at": iso(self._clock.now())},
        )
        self._folder.mkdir(parents=True, exist_ok=True)
        temp = self._folder / f".{secrets.token_hex(8)}.tmp"
        temp.write_text(document_text(document), encoding="utf-8")
        os.replace(temp, path)
        self._written[session_id] = seq

    def document(self, session_id: str) -> str | None:
        """The newest signed head of a session as written, for anyone to keep a copy of."""
        path = self._path(session_id)
        if path is None or not path.exists():
            return None
        return path.read_text(encoding="utf-8")

    def anchor(self, session_id: str) -> Anchor | None:
        """The signed head kept for a session; `BadAnchor` if it is there but does not verify."""
        text = self.document(session_id)
        if text is None:
            return None
        for key in self._signer.trusted_keys():
            try:
                payload = verify_document(text, "log-head", key)
            except InvalidSignedDocument:
                continue
            seq, head_hash = payload.get("seq"), payload.get("hash")
            if payload.get("session") != session_id or not isinstance(seq, int):
                break
            return Anchor(seq, str(head_hash))
        raise BadAnchor(
            f"{LOG_HEADS_DIR}/{session_id}.json does not verify under the server's keys"
        )
