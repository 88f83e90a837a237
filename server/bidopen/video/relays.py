"""Every session's video relay in this process, under one viewer budget."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bidopen.video.announce import StateAnnouncer, StateListener
from bidopen.video.errors import RelayClosed, ViewerLimitReached
from bidopen.video.peer import SdpOffer
from bidopen.video.settings import VideoSettings
from bidopen.video.state import VideoState

if TYPE_CHECKING:
    from aiortc import RTCSessionDescription

    from bidopen.video.relay import PublishAnswer, VideoRelay


@dataclass(frozen=True)
class VideoStatus:
    """What anyone may know about a session's video."""

    state: VideoState
    viewers: int

    def to_json(self) -> dict[str, object]:
        return {"state": self.state.value, "viewers": self.viewers}


class VideoRelays:
    """The relays of one process, keyed by session id, created on first use.

    `max_viewers` counts viewers of all sessions together, because they share
    the process's CPU. The listener (the hub's `broadcast_public`) hears each
    state change in order; set it at construction or with `set_state_listener`.
    """

    def __init__(
        self, settings: VideoSettings | None = None, on_state: StateListener | None = None
    ) -> None:
        self.settings = settings or VideoSettings()
        self._announcer = StateAnnouncer(on_state)
        self._relays: dict[str, VideoRelay] = {}
        self._pending_viewers = 0
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    def set_state_listener(self, listener: StateListener | None) -> None:
        self._announcer.set_listener(listener)

    @property
    def viewer_count(self) -> int:
        return sum(relay.viewer_count for relay in self._relays.values())

    def status(self, session_id: str) -> VideoStatus:
        relay = self._relays.get(session_id)
        if relay is None:
            return VideoStatus(VideoState.IDLE, 0)
        return VideoStatus(relay.state, relay.viewer_count)

    def publisher_id(self, session_id: str) -> str | None:
        relay = self._relays.get(session_id)
        return relay.publisher_id if relay else None

    async def publish(self, session_id: str, offer: SdpOffer) -> PublishAnswer:
        relay = self._relay(session_id)
        try:
            return await relay.publish(offer)
        finally:
            self._sweep()

    async def view(self, session_id: str, offer: SdpOffer) -> RTCSessionDescription:
        limit = self.settings.viewer_limit
        # Offers being answered count too, or a burst of them would overshoot the cap.
        if self.viewer_count + self._pending_viewers >= limit:
            raise ViewerLimitReached(limit)
        relay = self._relay(session_id)
        self._pending_viewers += 1
        try:
            return await relay.view(offer)
        finally:
            self._pending_viewers -= 1
            self._sweep()

    async def stop_publishing(self, session_id: str, publisher_id: str | None = None) -> bool:
        relay = self._relays.get(session_id)
        if relay is None:
            return publisher_id is None
        stopped = await relay.stop_publishing(publisher_id)
        self._sweep()
        return stopped

    async def close(self) -> None:
        """Close every peer connection and deliver the last state announcements."""
        self._closed = True
        relays, self._relays = list(self._relays.values()), {}
        await asyncio.gather(*(relay.close() for relay in relays), *self._closing)
        await self._announcer.close()

    def _relay(self, session_id: str) -> VideoRelay:
        self._sweep()
        if self._closed:
            raise RelayClosed("the video relays are closed")
        relay = self._relays.get(session_id)
        if relay is None:
            # aiortc (a second to import) is loaded with the first relay, not with the hub.
            from bidopen.video.relay import VideoRelay

            relay = VideoRelay(session_id, self.settings, self._announcer.announce)
            self._relays[session_id] = relay
        return relay

    def _sweep(self) -> None:
        # Viewers of sessions that never stream must not leave relays behind.
        for session_id, relay in list(self._relays.items()):
            if relay.unused:
                del self._relays[session_id]
                task = asyncio.ensure_future(relay.close())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
