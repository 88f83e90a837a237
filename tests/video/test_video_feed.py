"""The session's switching track, the publisher's sources and the `stream` command, offline."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

import av
import pytest
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame
from video_kit import SESSION, TOKEN, VideoHub

from bidopen.video.pattern import PatternGeometry, TestPatternTrack, read_counter, render_pattern
from bidopen.video.settings import VideoSettings
from bidopen.video.sources import SourceError, SourceSpec, open_source
from bidopen.video.state import FeedEvent
from bidopen.video.stream import register, run
from bidopen.video.switch import SourceSwitchTrack


class PluggableCamera(TestPatternTrack):
    """A test pattern whose cable can be pulled."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(width, height, 30)
        self.plugged = asyncio.Event()
        self.plugged.set()

    async def recv(self) -> VideoFrame:
        await self.plugged.wait()
        return await super().recv()


def _switch(events: list[FeedEvent]) -> SourceSwitchTrack:
    settings = VideoSettings(media_timeout_seconds=0.3, slate_fps=20, slate_width=320,
                             slate_height=240)  # fmt: skip
    return SourceSwitchTrack(settings, events.append)


async def test_without_a_publisher_viewers_get_a_black_slate() -> None:
    track = _switch([])
    frames = [await track.recv() for _ in range(3)]
    assert {(f.width, f.height) for f in frames} == {(320, 240)}
    assert max(bytes(frames[0].planes[0])) == 16
    assert [f.pts for f in frames] == sorted({f.pts for f in frames})
    track.stop()


async def test_the_track_follows_sources_and_keeps_one_timeline() -> None:
    events: list[FeedEvent] = []
    track = _switch(events)
    first = PluggableCamera(320, 240)
    track.attach(first)
    frames = [await track.recv() for _ in range(5)]
    assert [read_counter(f) for f in frames] == [0, 1, 2, 3, 4]
    assert events == [FeedEvent.FRAMES_FLOWING]

    first.plugged.clear()
    while FeedEvent.FRAMES_STALLED not in events:
        await track.recv()  # frames already on their way, then slates
    slate = await track.recv()  # the dimmed last picture
    assert (slate.width, slate.height) == (320, 240)
    assert max(bytes(slate.planes[0])) < 128

    second = TestPatternTrack(640, 480, 30)
    track.attach(second)
    after = await track.recv()
    while after.width != 640:
        after = await track.recv()
    assert read_counter(after) == 0
    assert events[-1] is FeedEvent.FRAMES_FLOWING
    pts = [f.pts for f in (*frames, slate, after)]
    assert pts == sorted(set(pts))  # never backwards across publishers
    track.stop()
    first.stop()
    second.stop()


async def test_a_stopped_track_refuses_to_give_frames() -> None:
    track = _switch([])
    track.attach(TestPatternTrack(320, 240))
    await track.recv()
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


def _write_video(path: Path, width: int, height: int, frames: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libvpx", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        geometry = PatternGeometry(width, height)
        for index in range(frames):
            frame = render_pattern(index, geometry, datetime(2025, 1, 1))
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


async def test_a_file_source_is_scaled_to_the_published_size(tmp_path: Path) -> None:
    path = tmp_path / "room.webm"
    _write_video(path, 320, 240, 10)
    opened = open_source(SourceSpec(str(path), 160, 120, loop=False))
    try:
        frames = [await opened.track.recv() for _ in range(3)]
    finally:
        opened.close()
    assert {(f.width, f.height) for f in frames} == {(160, 120)}


def test_sources_that_cannot_work_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such video file"):
        SourceSpec(str(tmp_path / "missing.mp4"))
    with pytest.raises(SourceError, match="fps"):
        SourceSpec("test-pattern", fps=0)
    with pytest.raises(ValueError, match="even size"):
        SourceSpec("test-pattern", 641, 480)
    not_video = tmp_path / "notes.txt"
    not_video.write_text("not a video")
    with pytest.raises(SourceError, match="cannot open"):
        open_source(SourceSpec(str(not_video)))


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["stream", *argv])


def test_the_command_refuses_a_missing_or_empty_token_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("--url", "http://127.0.0.1:9", "--session", SESSION)
    assert run(_args(*base, "--token-file", str(tmp_path / "none"))) == 2
    assert "token file" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert run(_args(*base, "--token-file", str(empty))) == 2
    assert "empty" in capsys.readouterr().err
    token = tmp_path / "token"
    token.write_text(TOKEN)
    missing = str(tmp_path / "missing.mp4")
    assert run(_args(*base, "--token-file", str(token), "--source", missing)) == 2
    assert "no such video file" in capsys.readouterr().err


async def test_the_command_exits_3_when_the_hub_refuses_the_token(
    hub: VideoHub, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("not-the-host")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bidopen.video.stream", "--url", hub.url,
        "--session", SESSION, "--token-file", str(token),
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 3
    assert "publishing refused" in err.decode()
    assert (await hub.state())["state"] == "idle"
