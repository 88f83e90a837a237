"""One session's live video: the current publisher in, its picture out to every viewer."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaBlackhole, MediaRelay

from bidopen.video.errors import InvalidOffer, RelayClosed
from bidopen.video.peer import SdpOffer, apply_offer, complete_answer, new_peer_connection
from bidopen.video.settings import VideoSettings
from bidopen.video.shared import SharedVp8Track, prefer_vp8
from bidopen.video.state import FeedEvent, VideoState, next_state
from bidopen.video.switch import SourceSwitchTrack

_ENDED = ("failed", "closed")


@dataclass(frozen=True)
class PublishAnswer:
    """The relay's SDP answer and the id naming this publisher until it is replaced."""

    publisher_id: str
    answer: RTCSessionDescription


@dataclass(frozen=True)
class _Publisher:
    id: str
    pc: RTCPeerConnection
    drain: MediaBlackhole


class VideoRelay:
    """Relays one publisher's video to many viewers of a session, across publisher changes.

    A new publisher replaces the current one. Viewers are never renegotiated:
    they all read one `SourceSwitchTrack` through aiortc's `MediaRelay`, which
    follows the current publisher. `on_state` hears every change of `state`.
    """

    def __init__(
        self,
        session_id: str,
        settings: VideoSettings,
        on_state: Callable[[str, VideoState], None],
    ) -> None:
        self.session_id = session_id
        self._settings = settings
        self._on_state = on_state
        self._state = VideoState.IDLE
        self._switch = SourceSwitchTrack(settings, self._apply)
        self._shared = (
            SharedVp8Track(self._switch, settings.shared_bitrate)
            if settings.shared_encoding
            else None
        )
        self._fanout = MediaRelay()
        self._publisher: _Publisher | None = None
        self._viewers: dict[RTCPeerConnection, MediaStreamTrack] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._answering = 0
        self._closed = False

    @property
    def state(self) -> VideoState:
        return self._state

    @property
    def publisher_id(self) -> str | None:
        return self._publisher.id if self._publisher else None

    @property
    def viewer_count(self) -> int:
        return len(self._viewers)

    @property
    def unused(self) -> bool:
        """Nothing to remember: no publisher, no viewer, nothing interrupted."""
        return (
            self._publisher is None
            and not self._viewers
            and not self._answering
            and self._state is VideoState.IDLE
        )

    async def publish(self, offer: SdpOffer) -> PublishAnswer:
        """Accept a publisher's offer; from its first frame on, viewers see its picture."""
        self._refuse_if_closed()
        pc = new_peer_connection()
        videos: list[MediaStreamTrack] = []
        # Anything else it sends (audio, a second camera) is read and dropped,
        # because aiortc would otherwise queue it in memory without bound.
        drain = MediaBlackhole()

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video" and not videos:
                videos.append(track)
            else:
                drain.addTrack(track)

        self._answering += 1
        try:
            await apply_offer(pc, offer)
            if not videos:
                raise InvalidOffer("the offer sends no video")
            answer = await complete_answer(pc)
            self._refuse_if_closed()
        except BaseException:
            await pc.close()
            raise
        finally:
            self._answering -= 1
        publisher = _Publisher(secrets.token_urlsafe(12), pc, drain)
        previous, self._publisher = self._publisher, publisher
        self._switch.attach(videos[0])
        await drain.start()
        pc.on("connectionstatechange", lambda: self._on_publisher_connection(publisher))
        if previous is not None:
            await self._close_publisher(previous)
        return PublishAnswer(publisher.id, answer)

    async def view(self, offer: SdpOffer) -> RTCSessionDescription:
        """Answer a viewer's offer with the session's video track."""
        self._refuse_if_closed()
        pc = new_peer_connection()
        # Frames may be skipped by a slow viewer's encoder; shared packets may not,
        # since a missing VP8 packet would break every picture until the next keyframe.
        shared = self._shared
        track = (
            self._fanout.subscribe(shared, buffered=True)
            if shared
            else self._fanout.subscribe(self._switch, buffered=False)
        )
        self._answering += 1
        try:
            # Made before the offer is applied, so that aiortc matches it to the
            # offer's first video section and negotiates codecs with its preferences.
            sending = pc.addTransceiver(track, direction="sendonly")
            if shared:
                prefer_vp8(sending)
            await apply_offer(pc, offer)
            if sending.mid is None:
                raise InvalidOffer("the offer receives no video")
            # Send only: what a public viewer might send back is never received,
            # so it cannot make the server decode or queue anything.
            for transceiver in pc.getTransceivers():
                if transceiver is not sending:
                    transceiver.direction = "inactive"
            answer = await complete_answer(pc)
            self._refuse_if_closed()
        except BaseException:
            track.stop()
            await pc.close()
            raise
        finally:
            self._answering -= 1
        self._viewers[pc] = track
        pc.on("connectionstatechange", lambda: self._on_viewer_connection(pc))
        self._spawn(self._drop_if_not_connected(pc))
        return answer

    async def stop_publishing(self, publisher_id: str | None = None) -> bool:
        """End the stream on purpose: viewers go `idle`, not `interrupted`.

        With `publisher_id`, only that publisher may be stopped, so that a
        publisher which was already replaced cannot end its successor's stream.
        """
        current = self._publisher
        if publisher_id is not None and (current is None or current.id != publisher_id):
            return False
        self._publisher = None
        self._switch.detach()
        self._apply(FeedEvent.PUBLISHER_STOPPED)
        if current is not None:
            await self._close_publisher(current)
        return True

    async def close(self) -> None:
        """Close every peer connection of the session."""
        self._closed = True
        publisher, self._publisher = self._publisher, None
        self._switch.stop()
        if self._shared is not None:
            self._shared.stop()
        closing = [pc.close() for pc in self._viewers]
        for track in self._viewers.values():
            track.stop()
        self._viewers.clear()
        if publisher is not None:
            closing.append(self._close_publisher(publisher))
        await asyncio.gather(*closing, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _apply(self, event: FeedEvent) -> None:
        state = next_state(self._state, event)
        if state is not self._state:
            self._state = state
            self._on_state(self.session_id, state)

    def _on_publisher_connection(self, publisher: _Publisher) -> None:
        if publisher.pc.connectionState not in _ENDED or self._publisher is not publisher:
            return
        self._publisher = None
        self._switch.detach()
        self._apply(FeedEvent.FRAMES_STALLED)
        self._spawn(self._close_publisher(publisher))

    def _on_viewer_connection(self, pc: RTCPeerConnection) -> None:
        if pc.connectionState == "connected" and self._shared is not None:
            self._shared.request_keyframe()
        if pc.connectionState not in _ENDED:
            return
        track = self._viewers.pop(pc, None)
        if track is not None:
            track.stop()
            if pc.connectionState == "failed":  # "closed" is closing itself, see above
                self._spawn(pc.close())

    async def _drop_if_not_connected(self, pc: RTCPeerConnection) -> None:
        # A viewer that vanished during ICE would hold its place until ICE gives up.
        await asyncio.sleep(self._settings.viewer_connect_seconds)
        if pc in self._viewers and pc.connectionState != "connected":
            self._viewers.pop(pc).stop()
            await pc.close()

    async def _close_publisher(self, publisher: _Publisher) -> None:
        await publisher.drain.stop()
        # A "closed" connection is already being closed by aiortc itself,
        # and closing it twice at once fails inside aiortc.
        if publisher.pc.connectionState != "closed":
            await publisher.pc.close()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise RelayClosed(f"the video relay of session {self.session_id} is closed")
