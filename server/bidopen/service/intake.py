"""Taking in sealed files over the cores: the event loop receives, threads write and verify.

The event loop only hands each received chunk on. Writing it to the temporary file and
parsing and hashing it (the reader hashes every byte twice) run on the intake pool, one
batch after another per upload, so a full page cache that makes `write` wait or a large
file being hashed never stalls the loop, which keeps reading every socket and time-stamping
what arrives. `hashlib` and file writes release the GIL, so several uploads use several
cores at once. A broken file is refused as soon as its batch is parsed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bidopen.store.files import IncomingFile
from bidseal import SealedBidReader
from bidseal.reader import SealedBidInfo

T = TypeVar("T")

# Bytes an upload may hold in memory ahead of its writer before receiving waits for it.
BACKLOG = 8 * 1024 * 1024


# Written bytes are flushed to the disk in steps of this size while the upload goes on: the
# final fsync is then short, and a rush of large bids does not pile up gigabytes of dirty
# pages whose writeback would hold up every other fsync (the database's included).
SYNC_EVERY = 8 * 1024 * 1024


def default_threads(cores: int) -> int:
    """Writes can wait on the disk, so more threads than cores keep every core busy."""
    return max(4, 2 * cores)


class Intake:
    """The bounded pool where sealed files are written and verified."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="intake")

    async def run(self, work: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)

    def start(self, work: Callable[[], None]) -> None:
        self._executor.submit(work)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class IncomingStream:
    """One upload's bytes on their way to the file, written and verified on the intake pool."""

    def __init__(self, incoming: IncomingFile, intake: Intake) -> None:
        self._incoming = incoming
        self._intake = intake
        self._reader = SealedBidReader()
        self._loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._running = False
        self._error: BaseException | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.size = 0
        self._synced = 0

    async def add(self, chunk: bytes) -> None:
        """Queue `chunk`; raises the refusal of an earlier batch; waits only past BACKLOG."""
        if self._error is not None:
            raise self._error
        with self._lock:
            self._pending.append(chunk)
            self._pending_bytes += len(chunk)
            backlog = self._pending_bytes
            start = not self._running
            if start:
                self._running = True
                self._idle.clear()
        self.size += len(chunk)
        if start:
            self._intake.start(self._drain)
        if backlog > BACKLOG:
            await self._idle.wait()

    def _drain(self) -> None:
        """On the pool: write and parse the queued batches until none is left."""
        try:
            while True:
                with self._lock:
                    if not self._pending:
                        self._running = False
                        break
                    batch, self._pending, self._pending_bytes = self._pending, [], 0
                for chunk in batch:
                    self._reader.feed(chunk)
                    self._incoming.write(chunk)
                if self._incoming.size - self._synced >= SYNC_EVERY:
                    self._incoming.sync_so_far()
                    self._synced = self._incoming.size
        except BaseException as exc:
            with self._lock:
                self._error = exc
                self._pending, self._pending_bytes = [], 0
                self._running = False
        self._loop.call_soon_threadsafe(self._settle)

    def _settle(self) -> None:
        with self._lock:
            if not self._running:
                self._idle.set()

    async def finish(self) -> SealedBidInfo:
        """Wait for the writer, then check the last chunk and the signature (on the pool)."""
        await self._idle.wait()
        if self._error is not None:
            raise self._error
        return await self._intake.run(self._reader.finish)

    async def close(self) -> None:
        """Wait until no batch is being written (the file may then be removed)."""
        await self._idle.wait()
