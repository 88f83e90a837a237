"""A session's events in log order, whatever order the socket delivers them in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from bidopen.client.errors import ClientError
from bidopen.client.models import EventMessage, Snapshot

FetchAfter = Callable[[int], Awaitable[list[EventMessage]]]


class EventSequencer:
    """Releases messages in sequence: drops ones already seen, holds ones that follow a gap."""

    def __init__(self, last_seq: int) -> None:
        self.last_seq = last_seq
        self._held: dict[int, EventMessage] = {}

    @property
    def has_gap(self) -> bool:
        """True while a later message waits for an earlier one that has not come."""
        return bool(self._held)

    def offer(self, message: EventMessage) -> list[EventMessage]:
        if message.seq <= self.last_seq:
            return []
        self._held[message.seq] = message
        ready = []
        while self.last_seq + 1 in self._held:
            self.last_seq += 1
            ready.append(self._held.pop(self.last_seq))
        return ready


class SessionFeed:
    """Every event after a snapshot, once each and in order; gaps are filled from the log.

    The socket calls `deliver`; readers call `next` or `wait_for`. `history` keeps every
    event released so far, so a caller can compare what it saw with the published record.
    """

    def __init__(self, fetch_after: FetchAfter) -> None:
        self._fetch_after = fetch_after
        self._sequencer: EventSequencer | None = None
        self._early: list[EventMessage] = []
        self._queue: asyncio.Queue[EventMessage | ClientError] = asyncio.Queue()
        self._catching_up: asyncio.Task[None] | None = None
        self.snapshot: Snapshot | None = None
        self.history: list[EventMessage] = []

    @property
    def last_seq(self) -> int:
        return 0 if self._sequencer is None else self._sequencer.last_seq

    def start(self, snapshot: Snapshot) -> None:
        """Begin after `snapshot`; messages that came before it are sorted in now."""
        self.snapshot = snapshot
        self._sequencer = EventSequencer(snapshot.seq)
        early, self._early = self._early, []
        for message in early:
            self.deliver(message)

    def deliver(self, message: EventMessage) -> None:
        if self._sequencer is None:
            self._early.append(message)
            return
        for ready in self._sequencer.offer(message):
            self.history.append(ready)
            self._queue.put_nowait(ready)
        if self._sequencer.has_gap:
            self.request_catch_up()

    def request_catch_up(self) -> None:
        """Read the log after the last released event (after a gap or a reconnection)."""
        if self._sequencer is None or (self._catching_up and not self._catching_up.done()):
            return
        self._catching_up = asyncio.get_running_loop().create_task(self._catch_up())

    async def _catch_up(self) -> None:
        try:
            for message in await self._fetch_after(self.last_seq):
                self.deliver(message)
        except ClientError as error:
            # Wake the reader: a feed with a hole it cannot fill must not pretend to be whole.
            self._queue.put_nowait(error)

    async def next(self) -> EventMessage:
        """The next event in log order (bound the wait with `asyncio.timeout`)."""
        item = await self._queue.get()
        if isinstance(item, ClientError):
            raise item
        return item

    async def wait_for(
        self, kind: str, where: Callable[[EventMessage], bool] | None = None
    ) -> EventMessage:
        """Skip to the next event of `kind` (matching `where`); skipped ones stay in history."""
        while True:
            message = await self.next()
            if message.kind == kind and (where is None or where(message)):
                return message

    def seen(self, kind: str) -> list[EventMessage]:
        return [message for message in self.history if message.kind == kind]

    async def close(self) -> None:
        if self._catching_up is not None:
            self._catching_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._catching_up


def messages_from(page: Any) -> tuple[list[EventMessage], bool, int]:
    """Read a catch-up page `{"events", "more", "last_seq"}`."""
    if not isinstance(page, dict) or not isinstance(page.get("events"), list):
        raise ClientError("bad_response", f"unexpected events page: {str(page)[:200]}")
    events = [EventMessage.from_json(item) for item in page["events"]]
    return events, bool(page.get("more")), int(page.get("last_seq", 0))
