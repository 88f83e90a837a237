"""Delivers video state changes to the hub's listener one at a time, in the order they happened."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bidopen.video.state import VideoState

StateListener = Callable[[str, VideoState], Awaitable[None]]

logger = logging.getLogger(__name__)


class StateAnnouncer:
    """A queue in front of an async listener, so that `live` never overtakes `interrupted`."""

    def __init__(self, listener: StateListener | None = None) -> None:
        self._listener = listener
        self._queue: asyncio.Queue[tuple[str, VideoState]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def set_listener(self, listener: StateListener | None) -> None:
        self._listener = listener

    def announce(self, session_id: str, state: VideoState) -> None:
        if self._listener is None:
            return
        self._queue.put_nowait((session_id, state))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._deliver())

    async def _deliver(self) -> None:
        while not self._queue.empty():
            session_id, state = self._queue.get_nowait()
            listener = self._listener
            if listener is None:
                continue
            try:
                await listener(session_id, state)
            except Exception:  # a failing listener must not stop later announcements
                logger.exception("video state listener failed for session %s", session_id)

    async def close(self) -> None:
        """Deliver what is queued, then stop."""
        if self._worker is not None:
            await self._worker
            self._worker = None
