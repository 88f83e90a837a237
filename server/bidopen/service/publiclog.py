"""The deployment's public log: append entries, sign checkpoints, read tiles and proofs.

Appends join the caller's transaction under the log's one-writer lock; a sequencer task signs
a checkpoint of the head at most `checkpoint_interval` after any append (on any node), and
asks the configured witnesses to cosign it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.clock import Clock
from bidopen.errors import StartRefused
from bidopen.service.kept_checkpoint import KeptCheckpoint
from bidopen.service.keyfiles import FolderKey
from bidopen.store import publiclog as rows
from bidopen.store.db import Database
from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.cosignature import CosignatureVerifier
from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import consistency_proof, inclusion_proof, root_at
from bidopen.tlog.note import Ed25519Signer, NoteSignature, SignedNote
from bidopen.tlog.policy import LogPolicy
from bidopen.tlog.proof import TlogProof
from bidopen.tlog.tiles import (
    MAX_ENTRY_BYTES,
    Tile,
    TreeEdge,
    encode_bundle,
    encode_tile,
)
from bidseal.ed25519 import Ed25519Key

log = logging.getLogger("bidopen.publiclog")

# How many recent checkpoints are looked at for one the witness quorum has cosigned.
_QUORUM_LOOKBACK = 20


class Witness(Protocol):
    """What the log needs of a witness: its key, and its cosignatures of a checkpoint."""

    @property
    def verifier(self) -> CosignatureVerifier: ...

    @property
    def url(self) -> str: ...

    async def cosign(self, log: PublicLog, note: bytes) -> Sequence[NoteSignature]: ...

    async def size_seen(self, note: bytes) -> int | None: ...


def log_key_file(path: Path) -> FolderKey[Ed25519Key]:
    """The log's key in the data folder; a new one is saved only after the start checks."""
    return FolderKey(path, Ed25519Key, "public log key")


def load_log_signer(path: Path, name: str) -> Ed25519Signer:
    """The log's key under its name, saved at once if new (for tools and tests; the hub
    saves a new key only once its start checks pass, `PublicLog.start`)."""
    key = log_key_file(path)
    key.save_new()
    return Ed25519Signer(name, key.key)


class PublicLogRefused(StartRefused):
    """The stored log does not verify at start: one line for the operator, no traceback."""


class PublicLog:
    """One append-only Merkle log per deployment (docs/transparency-log.md)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        signer: Ed25519Signer,
        *,
        checkpoint_interval: float = 1.0,
        witnesses: Sequence[Witness] = (),
        quorum: int = 0,
        key_file: FolderKey[Ed25519Key] | None = None,
        kept_checkpoint: KeptCheckpoint | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._signer = signer
        self._interval = checkpoint_interval
        self._witnesses = tuple(witnesses)
        self._key_file = key_file
        self._kept = kept_checkpoint
        self.policy = LogPolicy(signer.verifier, tuple(w.verifier for w in self._witnesses), quorum)
        self._task: asyncio.Task[None] | None = None
        self._cosigning: set[asyncio.Task[None]] = set()
        # The right edge of the tree as this node last wrote it, and that tree's head.
        self._edge: tuple[rows.LogHead | None, TreeEdge | None] = (None, None)

    @property
    def origin(self) -> str:
        return self._signer.name

    @property
    def vkey(self) -> str:
        return self._signer.verifier.vkey

    # -- writing ---------------------------------------------------------------------------

    async def append(self, entries: Sequence[bytes], session_id: str | None = None) -> int:
        """Append in a transaction of its own; the index of the first entry."""
        async with self._db.write() as conn:
            return await self.append_in(conn, entries, session_id)

    async def append_in(
        self, conn: AsyncConnection, entries: Sequence[bytes], session_id: str | None = None
    ) -> int:
        """Append inside the caller's write transaction (they commit or roll back together)."""
        for entry in entries:
            if len(entry) > MAX_ENTRY_BYTES:
                raise LogError(f"a log entry is at most {MAX_ENTRY_BYTES} bytes")
        now = self._clock.now()
        known, edge = self._edge
        head, edge = await conn.run_sync(
            lambda sync: rows.append(sync, list(entries), now, session_id, known, edge)
        )
        self._edge = (head, edge)
        return head.size - len(entries)

    async def sign_checkpoint(self) -> bytes | None:
        """Sign the head if no checkpoint covers it yet; the new note, or None."""
        async with self._db.read() as conn:
            head, latest = await conn.run_sync(_head_and_latest)
        if latest is not None and latest.size >= head.size:
            return None
        async with self._db.write() as conn:
            note = await conn.run_sync(self._sign_locked)
        if note is not None and self._kept is not None:
            await asyncio.to_thread(self._kept.keep, note, self._signer.verifier)
        if note is not None and self._witnesses:
            # In the background: a slow witness must not hold back the next checkpoint.
            task = asyncio.create_task(self._collect_cosignatures(note))
            self._cosigning.add(task)
            task.add_done_callback(self._cosigning.discard)
        return note

    async def cosigned(self) -> None:
        """Wait until the witnesses have answered for every checkpoint signed so far."""
        while self._cosigning:
            await asyncio.gather(*self._cosigning, return_exceptions=True)

    def _sign_locked(self, conn: Connection) -> bytes | None:
        head = rows.lock(conn)
        latest = rows.latest_checkpoint(conn)
        if latest is not None and latest.size >= head.size:
            return None  # another node signed it meanwhile
        if latest is not None:
            # Never sign a tree that does not extend the last one signed (C2SP checkpoint).
            old = Checkpoint.parse(SignedNote.parse(latest.note).text)
            if root_at(rows.subtrees(conn), old.size) != old.root:
                raise LogError("the stored tree no longer matches the last signed checkpoint")
        note = self._signed_note(head)
        rows.save_checkpoint(conn, head.size, note, self._clock.now())
        return note

    def _signed_note(self, head: rows.LogHead) -> bytes:
        text = Checkpoint(self.origin, head.size, head.root).text()
        return text + b"\n" + self._signer.signature_line(text).encode()

    async def _collect_cosignatures(self, note: bytes) -> None:
        checkpoint = Checkpoint.parse(SignedNote.parse(note).text)
        results = await asyncio.gather(
            *(w.cosign(self, note) for w in self._witnesses), return_exceptions=True
        )
        found = []
        for witness, result in zip(self._witnesses, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("witness %s did not cosign: %s", witness.verifier.name, result)
            else:
                found += list(result)
        if not found:
            return
        async with self._db.write() as conn:
            stored = await conn.run_sync(lambda c: rows.checkpoint_at(c, checkpoint.size))
            if stored is None:
                return
            merged = SignedNote.parse(stored.note).with_signatures(tuple(found)).format()
            await conn.run_sync(lambda c: rows.replace_checkpoint_note(c, checkpoint.size, merged))

    # -- reading ---------------------------------------------------------------------------

    async def checkpoint(self) -> bytes | None:
        """The newest signed checkpoint note with the cosignatures gathered so far."""
        async with self._db.read() as conn:
            latest = await conn.run_sync(rows.latest_checkpoint)
        return None if latest is None else latest.note

    async def served_size(self) -> int:
        async with self._db.read() as conn:
            latest = await conn.run_sync(rows.latest_checkpoint)
        return 0 if latest is None else latest.size

    async def tile(self, tile: Tile) -> bytes | None:
        """A tile or entry bundle that the newest checkpoint covers, else None."""
        async with self._db.read() as conn:
            return await conn.run_sync(lambda c: _tile(c, tile))

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        async with self._db.read() as conn:
            return await conn.run_sync(
                lambda c: consistency_proof(rows.subtrees(c), old_size, new_size)
            )

    async def proof(self, index: int, extra: bytes | None = None) -> TlogProof:
        """The tlog-proof of entry `index` under the newest checkpoint (LogError if uncovered)."""
        async with self._db.read() as conn:
            return await conn.run_sync(lambda c: _proof(c, index, extra, self.policy))

    async def session_proofs(
        self, session_id: str
    ) -> tuple[bytes, list[tuple[int, bytes, list[bytes]]]]:
        """The newest checkpoint and, under it, every entry of an opening with its proof."""
        async with self._db.read() as conn:
            return await conn.run_sync(lambda c: _session_proofs(c, session_id, self.policy))

    async def session_entries(self, session_id: str) -> list[tuple[int, bytes]]:
        """(index, entry) of an opening's entries under the newest checkpoint."""
        async with self._db.read() as conn:
            return await conn.run_sync(
                lambda c: rows.session_entries(c, session_id, _proof_checkpoint(c, self.policy)[0])
            )

    async def entries(self, start: int, end: int) -> list[bytes]:
        async with self._db.read() as conn:
            return await conn.run_sync(lambda c: rows.entries_between(c, start, end))

    async def check_stored(self) -> None:
        """At start: the stored hashes still give the root of every head and checkpoint kept."""
        async with self._db.read() as conn:
            await conn.run_sync(self._check_stored)

    def _check_stored(self, conn: Connection) -> None:
        head = rows.read_head(conn)
        if root_at(rows.subtrees(conn), head.size) != head.root:
            raise LogError(f"the stored log does not hash to its head at size {head.size}")
        latest = rows.latest_checkpoint(conn)
        if latest is None:
            return
        try:
            checkpoint = LogPolicy(self._signer.verifier).open_checkpoint(latest.note)[0]
        except LogError as exc:
            raise LogError(
                f"the newest checkpoint does not verify with this log's key and name ({exc}): "
                "were log-key.pem or public_log_name changed? They must stay as they were"
            ) from exc
        problem = f"the stored log does not match its checkpoint of size {latest.size}"
        try:
            root = root_at(rows.subtrees(conn), checkpoint.size)
        except LogError as exc:  # entries or hashes were removed
            raise LogError(f"{problem}: {exc}") from exc
        if root != checkpoint.root:
            raise LogError(problem)
        self._check_kept(conn, head)

    def _check_kept(self, conn: Connection, head: rows.LogHead) -> None:
        """The checkpoint kept in the data folder: deleting the newest rows of the database
        (entries, hashes, checkpoints and head alike) cannot also take it back."""
        if self._kept is None:
            return
        kept = self._kept.read(self._signer.verifier)
        if kept is None:
            return
        if kept.size > head.size:
            raise LogError(
                f"the stored log ends at size {head.size} but the checkpoint kept in "
                f"{self._kept.path.name} is at size {kept.size}: its newest entries were "
                "deleted from the database"
            )
        try:
            root = root_at(rows.subtrees(conn), kept.size)
        except LogError as exc:
            raise LogError(
                f"the stored log lacks the tree of {self._kept.path.name}: {exc}"
            ) from exc
        if root != kept.root:
            raise LogError(
                f"the stored log does not match the checkpoint kept in {self._kept.path.name} "
                f"(size {kept.size}): its history was rewritten"
            )

    async def check_witnessed(self) -> None:
        """At start: no witness has cosigned a larger tree than the stored one, or another
        tree of its size. Together with the kept checkpoint this catches a database whose
        newest rows were deleted with `log-checkpoint` (docs/transparency-log.md).

        Every witness is asked at once, briefly; one that does not answer is a warning, since
        a witness being down must not take the platform down. Its answer is not signed: a
        witness can refuse this start, never make a shorter log pass.
        """
        if not self._witnesses or (self._key_file is not None and self._key_file.is_new):
            return  # a new key is a new log: no witness has seen it
        async with self._db.read() as conn:
            stored = await conn.run_sync(rows.read_head)
        note = self._signed_note(stored)
        answers = await asyncio.gather(
            *(w.size_seen(note) for w in self._witnesses), return_exceptions=True
        )
        # Other nodes of the deployment may have grown the log (and had it cosigned) while
        # the witnesses were asked: a size the database holds now is no rollback.
        async with self._db.read() as conn:
            now = await conn.run_sync(rows.read_head)
        problems = []
        for witness, seen in zip(self._witnesses, answers, strict=True):
            if isinstance(seen, BaseException):
                if not isinstance(seen, Exception):
                    raise seen
                log.warning(
                    "witness %s (%s) could not be asked how far it has cosigned this log "
                    "(%s); started without its answer",
                    witness.verifier.name,
                    witness.url,
                    str(seen) or type(seen).__name__,
                )
            elif seen is not None and seen > now.size:
                problems.append(
                    (
                        seen,
                        f"witness {witness.verifier.name} ({witness.url}) has cosigned this log "
                        f"at size {seen} but the stored log ends at size {now.size}: its "
                        "newest entries were deleted from the database",
                    )
                )
            elif seen == stored.size:
                problems.append(
                    (
                        seen,
                        f"witness {witness.verifier.name} ({witness.url}) has cosigned another "
                        f"tree of size {seen} than the stored log's: its history was rewritten",
                    )
                )
        if problems:
            reason = max(problems, key=lambda problem: problem[0])[1]
            raise LogError(
                f"{reason}; restore the database from its backup "
                "(docs/operations.md, integrity at start)"
            )

    # -- the sequencer ---------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self.check_stored()
            await self.check_witnessed()
        except LogError as exc:
            raise PublicLogRefused(f"public log: {exc}") from exc
        self._save_new_key()
        await self.sign_checkpoint()
        if await self.checkpoint() is None:
            async with self._db.write() as conn:
                await conn.run_sync(self._sign_empty)
        note = await self.checkpoint()
        if self._kept is not None and note is not None:
            # A data folder of a release that kept none, or a new one: begin with the newest.
            await asyncio.to_thread(self._kept.keep, note, self._signer.verifier)
        self._task = asyncio.create_task(self._run(), name="public-log-sequencer")

    def _save_new_key(self) -> None:
        """A key made at this start is written only now, the stored log having verified."""
        if self._key_file is None:
            return
        self._key_file.save_new()
        if self._key_file.key is not self._signer.key:
            # Another process of this data folder wrote its key first: sign with that one.
            self._signer = Ed25519Signer(self._signer.name, self._key_file.key)
            self.policy = LogPolicy(
                self._signer.verifier, self.policy.witnesses, self.policy.quorum
            )

    def _sign_empty(self, conn: Connection) -> None:
        rows.lock(conn)
        if rows.latest_checkpoint(conn) is None:
            # The empty tree gets a checkpoint too, so /log/checkpoint always answers.
            head = rows.read_head(conn)
            rows.save_checkpoint(conn, head.size, self._signed_note(head), self._clock.now())

    async def stop(self) -> None:
        for task in list(self._cosigning):
            task.cancel()
        await asyncio.gather(*self._cosigning, return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        # Looking twice per interval bounds the time from an append (on any node) to its
        # checkpoint by half an interval plus the signing, which is short.
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due = max(due + self._interval / 2, loop.time())
            await asyncio.sleep(due - loop.time())
            try:
                await self.sign_checkpoint()
            except Exception:
                log.exception("signing a checkpoint failed; retrying")


def _head_and_latest(conn: Connection) -> tuple[rows.LogHead, rows.StoredCheckpoint | None]:
    return rows.read_head(conn), rows.latest_checkpoint(conn)


def _covered_size(conn: Connection) -> tuple[int, bytes]:
    latest = rows.latest_checkpoint(conn)
    if latest is None:
        raise LogError("the log has no checkpoint yet")
    return latest.size, latest.note


def _tile(conn: Connection, tile: Tile) -> bytes | None:
    size, _note = _covered_size(conn)
    if tile.last_leaf_end() > size:
        return None  # not covered by a checkpoint: it may not exist, and is not served yet
    if tile.entries:
        first = tile.first_leaf()
        return encode_bundle(rows.entries_between(conn, first, first + tile.width))
    hashes = rows.tile_reader(conn)(tile.level, tile.index)[: tile.width]
    if len(hashes) != tile.width:
        raise LogError(f"tile {tile.path} lacks stored hashes")
    return encode_tile(hashes)


def _proof_checkpoint(conn: Connection, policy: LogPolicy) -> tuple[int, bytes]:
    """The checkpoint proofs are made under: the newest that the witness quorum cosigned
    (a new one may still wait for its cosignatures), else simply the newest."""
    for stored in rows.recent_checkpoints(conn, _QUORUM_LOOKBACK):
        try:
            policy.open_checkpoint(stored.note)
        except LogError:
            continue
        return stored.size, stored.note
    return _covered_size(conn)


def _proof(conn: Connection, index: int, extra: bytes | None, policy: LogPolicy) -> TlogProof:
    size, note = _proof_checkpoint(conn, policy)
    if not 0 <= index < size:
        raise LogError(f"entry {index} is not covered by the newest checkpoint (size {size})")
    hashes = inclusion_proof(rows.subtrees(conn), index, size)
    return TlogProof(index, tuple(hashes), note, extra)


def _session_proofs(
    conn: Connection, session_id: str, policy: LogPolicy
) -> tuple[bytes, list[tuple[int, bytes, list[bytes]]]]:
    size, note = _proof_checkpoint(conn, policy)
    subtrees = rows.subtrees(conn)  # one tile cache for all the proofs
    return note, [
        (index, entry, inclusion_proof(subtrees, index, size))
        for index, entry in rows.session_entries(conn, session_id, size)
    ]
