"""Where a server-side publisher's picture comes from: the test pattern, a file or a camera."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from bidopen.video.pattern import PatternGeometry, TestPatternTrack

TEST_PATTERN = "test-pattern"


class SourceError(ValueError):
    """The source cannot be opened: no such file, no video in it, or a bad size."""


@dataclass(frozen=True)
class SourceSpec:
    """A video source and the size and rate it is published at.

    Files and cameras are scaled to `width`x`height` on the publisher, because the
    relay encodes once per viewer at whatever size it receives: keeping the size
    here is what keeps the server's measured viewers-per-core budget true.
    """

    source: str
    width: int = 640
    height: int = 480
    fps: float = 30.0
    loop: bool = True

    def __post_init__(self) -> None:
        PatternGeometry(self.width, self.height)  # same size rules as the pattern
        if not 0 < self.fps <= 60:
            raise SourceError(f"fps must be in (0, 60], not {self.fps}")
        if not self.is_test_pattern and not self.is_device and not Path(self.source).is_file():
            raise SourceError(f"no such video file: {self.source}")

    @property
    def is_test_pattern(self) -> bool:
        return self.source == TEST_PATTERN

    @property
    def is_device(self) -> bool:
        return self.source.startswith("/dev/")


class OpenedSource:
    """A live track of a source; `close` releases the file or the camera."""

    def __init__(self, track: MediaStreamTrack, player: MediaPlayer | None = None) -> None:
        self.track = track
        self._player = player

    def close(self) -> None:
        self.track.stop()
        if self._player is not None and self._player.video is not None:
            self._player.video.stop()


def open_source(spec: SourceSpec) -> OpenedSource:
    """Open the source afresh; a reconnecting publisher opens a new one each time."""
    if spec.is_test_pattern:
        return OpenedSource(TestPatternTrack(spec.width, spec.height, spec.fps))
    try:
        if spec.is_device:
            player = MediaPlayer(
                spec.source,
                format="v4l2",
                options={"video_size": f"{spec.width}x{spec.height}", "framerate": f"{spec.fps:g}"},
            )
        else:
            player = MediaPlayer(spec.source, loop=spec.loop)
    except Exception as exc:  # PyAV raises a family of errors for unreadable media
        raise SourceError(f"cannot open {spec.source}: {exc}") from exc
    if player.video is None:
        raise SourceError(f"{spec.source} has no video stream")
    return OpenedSource(SizedTrack(player.video, spec.width, spec.height), player)


class SizedTrack(MediaStreamTrack):
    """Frames of another video track, scaled to a fixed size when they differ."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, width: int, height: int) -> None:
        super().__init__()
        self._source = source
        self._width = width
        self._height = height

    async def recv(self) -> VideoFrame:
        frame = await self._source.recv()
        if not isinstance(frame, VideoFrame):
            raise MediaStreamError("the source gave a frame that is not video")
        if frame.width == self._width and frame.height == self._height:
            return frame
        scaled: VideoFrame = frame.reformat(
            width=self._width, height=self._height, format="yuv420p"
        )
        scaled.pts = frame.pts
        scaled.time_base = frame.time_base
        return scaled

    def stop(self) -> None:
        self._source.stop()
        super().stop()
