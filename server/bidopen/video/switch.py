"""The one stable video track of a session: it follows whichever publisher is current."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame
from av.video.plane import VideoPlane

from bidopen.video.pattern import VIDEO_TIME_BASE
from bidopen.video.settings import VideoSettings
from bidopen.video.state import FeedEvent

# Luma of the slate: the last picture at a third of its brightness, so the hall
# sees where the room was while the page lays "信号中断 / stream interrupted" over it.
_DIM = bytes(16 + (y - 16) // 3 if y > 16 else y for y in range(256))


class SourceSwitchTrack(MediaStreamTrack):
    """A video track whose source can be swapped while viewers keep their connections.

    Viewers' encoders read this track, never a publisher's track, so a new publisher
    needs no renegotiation: its frames simply continue the same RTP stream, with
    timestamps restamped from this track's own clock. While no publisher delivers,
    the track sends a dimmed still at `slate_fps` to keep decoders fed cheaply.

    A pump task always drains the current source, with or without viewers: aiortc
    queues received frames without bound, and the pump is also what notices a
    publisher that stopped sending (`media_timeout_seconds`).

    `recv` has a single consumer, the session's `MediaRelay`.
    """

    kind = "video"

    def __init__(self, settings: VideoSettings, on_event: Callable[[FeedEvent], None]) -> None:
        super().__init__()
        self._settings = settings
        self._on_event = on_event
        self._pump: asyncio.Task[None] | None = None
        self._flowing = False
        self._fresh: VideoFrame | None = None
        self._last: VideoFrame | None = None
        self._slate_luma: tuple[VideoFrame, bytes] | None = None
        self._wake = asyncio.Event()
        self._clock_start = time.monotonic()
        self._last_pts = -1

    @property
    def flowing(self) -> bool:
        return self._flowing

    def attach(self, source: MediaStreamTrack) -> None:
        """Start following `source` in place of the current one."""
        self.detach()
        self._pump = asyncio.ensure_future(self._drain(source))

    def detach(self) -> None:
        """Stop following the current source; viewers get the slate."""
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        self._set_flowing(False, notify=False)

    def stop(self) -> None:
        self.detach()
        self._wake.set()
        super().stop()

    async def _drain(self, source: MediaStreamTrack) -> None:
        timeout = self._settings.media_timeout_seconds
        while True:
            try:
                frame = await asyncio.wait_for(source.recv(), timeout)
            except TimeoutError:
                # Said on every timeout, not just the first: a replacing publisher that
                # never delivers must still end a `live` left by its predecessor.
                self._set_flowing(False, notify=False)
                self._on_event(FeedEvent.FRAMES_STALLED)
                continue
            except MediaStreamError:
                # The publisher ended its track; its connection's end does the rest.
                self._set_flowing(False)
                return
            if isinstance(frame, VideoFrame):
                self._fresh = frame
                self._set_flowing(True)
                self._wake.set()

    def _set_flowing(self, flowing: bool, *, notify: bool = True) -> None:
        if flowing == self._flowing:
            return
        self._flowing = flowing
        self._wake.set()
        if notify:
            self._on_event(FeedEvent.FRAMES_FLOWING if flowing else FeedEvent.FRAMES_STALLED)

    async def recv(self) -> VideoFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._fresh is not None:
                frame, self._fresh = self._fresh, None
                self._last = frame
                return self._stamp(frame)
            self._wake.clear()
            if self._flowing:
                await self._wake.wait()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1 / self._settings.slate_fps)
                continue
            return self._stamp(self._slate())

    def _stamp(self, frame: VideoFrame) -> VideoFrame:
        # Restamp from one clock: sources come and go, the RTP timeline must not jump back.
        pts = round((time.monotonic() - self._clock_start) * VIDEO_TIME_BASE.denominator)
        self._last_pts = max(pts, self._last_pts + 1)
        frame.pts = self._last_pts
        frame.time_base = VIDEO_TIME_BASE
        return frame

    def _slate(self) -> VideoFrame:
        last = self._last
        if last is None:
            width, height = self._settings.slate_width, self._settings.slate_height
            frame = VideoFrame(width=width, height=height, format="yuv420p")
            frame.planes[0].update(bytes([16]) * frame.planes[0].buffer_size)
            for plane in frame.planes[1:]:
                plane.update(bytes([128]) * plane.buffer_size)
            return frame
        if last.format.name != "yuv420p":
            last = last.reformat(format="yuv420p")
        frame = VideoFrame(width=last.width, height=last.height, format="yuv420p")
        if self._slate_luma is None or self._slate_luma[0] is not last:
            luma = _copy_plane(last.planes[0], frame.planes[0]).translate(_DIM)
            self._slate_luma = (last, luma)
        # A new frame each time: an encoder thread may still hold the previous one.
        frame.planes[0].update(self._slate_luma[1])
        for source, target in zip(last.planes[1:], frame.planes[1:], strict=True):
            target.update(_copy_plane(source, target))
        return frame


def _copy_plane(source: VideoPlane, target: VideoPlane) -> bytes:
    """The pixels of `source` laid out with the row stride of `target`."""
    data = bytes(source)
    if source.line_size == target.line_size:
        return data[: target.buffer_size]
    width, stride = target.width, target.line_size
    return b"".join(
        data[row * source.line_size : row * source.line_size + width].ljust(stride, b"\0")
        for row in range(target.height)
    )
