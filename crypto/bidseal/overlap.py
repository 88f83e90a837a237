"""Chunk buffers handed in order to one helper thread, so hashing or writing overlaps reading."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

__all__ = ["OVERLAP_MIN_CHUNK", "InOrderWorker"]

Result = TypeVar("Result")

# Below this a thread hand-off costs more than the work it moves; jobs then run inline.
OVERLAP_MIN_CHUNK = 64 * 1024


class InOrderWorker(Generic[Result]):
    """Rotating buffers whose contents a single helper thread processes in submission order.

    The caller fills ``buffer()``, calls ``submit(...)`` and goes on with
    the next buffer while the job runs; a buffer is handed out again only
    after its previous job finished, and results reach ``on_result`` in
    submission order. Memory is ``slots * buffer_size``, independent of the
    document size. hashlib, file writes and AES-GCM release the GIL on large
    buffers, which is what makes the overlap real.
    """

    def __init__(
        self,
        *,
        slots: int,
        buffer_size: int,
        job: Callable[[memoryview, int, bool], Result],
        on_result: Callable[[Result], None],
    ) -> None:
        self._buffers = [bytearray(buffer_size) for _ in range(slots)]
        self._pending: list[Future[Result] | None] = [None] * slots
        self._slot = 0
        self._job = job
        self._on_result = on_result
        threaded = buffer_size >= OVERLAP_MIN_CHUNK
        self._executor = ThreadPoolExecutor(1, "bidseal") if threaded else None

    def __enter__(self) -> InOrderWorker[Result]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._executor is not None:
            # Waits for a running job, so no thread touches a buffer after we return.
            self._executor.shutdown(wait=True, cancel_futures=True)

    def buffer(self) -> bytearray:
        """The next buffer to fill; waits until the helper is done with it."""
        self._collect(self._slot)
        return self._buffers[self._slot]

    def submit(self, length: int, index: int, last: bool) -> None:
        """Process the first ``length`` bytes of the buffer from ``buffer()`` as chunk ``index``."""
        view = memoryview(self._buffers[self._slot])[:length]
        if self._executor is None:
            self._on_result(self._job(view, index, last))
        else:
            self._pending[self._slot] = self._executor.submit(self._job, view, index, last)
        self._slot = (self._slot + 1) % len(self._buffers)

    def finish(self) -> None:
        """Wait for every job; re-raises the first job error."""
        for offset in range(len(self._buffers)):
            self._collect((self._slot + offset) % len(self._buffers))

    def _collect(self, slot: int) -> None:
        future = self._pending[slot]
        if future is not None:
            self._pending[slot] = None
            self._on_result(future.result())
