"""A test-pattern publisher reaches aiortc viewers through the relay, across publisher drops."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiortc import RTCSessionDescription
from av import VideoFrame
from video_kit import SESSION, TOKEN, VideoHub, Viewer, rising_run, running_hub

from bidopen.video import VideoSettings, VideoState
from bidopen.video.pattern import TestPatternTrack
from bidopen.video.peer import complete_offer, new_peer_connection
from bidopen.video.stream import PublisherReplaced, stream


async def test_viewer_decodes_the_moving_test_pattern(hub: VideoHub) -> None:
    stop = asyncio.Event()
    publisher = asyncio.ensure_future(stream(hub.url, SESSION, TOKEN, stop=stop))
    viewer = await Viewer.connect(hub)
    try:
        # 15 decoded frames in a row whose pattern counter rises: the picture moves.
        frames = (await viewer.frames_until(rising_run(15)))[-15:]
        assert {(f.width, f.height) for f in frames} == {(640, 480)}
        assert frames[-1].counter >= 14
        assert (await hub.state())["state"] == "live"
        assert (await hub.state())["viewers"] == 1
    finally:
        stop.set()
        await publisher
        await viewer.close()
    await hub.wait_for_state(VideoState.IDLE)
    # A starved machine may add a short interruption in between; the end is said as an end.
    assert hub.announced[0] == (SESSION, VideoState.LIVE)
    assert hub.announced[-2:] == [(SESSION, VideoState.LIVE), (SESSION, VideoState.IDLE)]


def _start_publisher_process(hub: VideoHub, token_file: Path) -> asyncio.Future[object]:
    command = [
        sys.executable, "-m", "bidopen.video.stream",
        "--url", hub.url, "--session", SESSION, "--token-file", str(token_file),
        "--source", "test-pattern", "--width", "320", "--height", "240",
    ]  # fmt: skip
    return asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
    )


@pytest.mark.slow
async def test_frames_resume_on_the_same_viewer_after_the_publisher_is_killed(
    hub: VideoHub, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    first = await _start_publisher_process(hub, token_file)
    second = None
    viewer = await Viewer.connect(hub)
    try:
        await viewer.frames_until(rising_run(10))
        answer_before = viewer.pc.remoteDescription.sdp

        # SIGKILL: no goodbye, no DTLS close; only the missing frames tell.
        assert isinstance(first, asyncio.subprocess.Process)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        await hub.wait_for_state(VideoState.INTERRUPTED)
        # The viewer now gets the dimmed still: too dark for the counter strip to read.
        await viewer.frames_until(
            lambda seen: len(seen) >= 2 and seen[-1].counter == seen[-2].counter == 0
        )

        second = await _start_publisher_process(hub, token_file)
        assert isinstance(second, asyncio.subprocess.Process)
        await hub.wait_for_state(VideoState.LIVE)
        resumed = await viewer.frames_until(rising_run(10))
        assert resumed[-1].counter > 0
        # Same connection, same track, no new offer/answer: the viewer resumed by itself.
        assert viewer.pc.connectionState == "connected"
        assert viewer.pc.remoteDescription.sdp == answer_before
        assert len(viewer.tracks) == 1
        states = [state for _, state in hub.announced]
        assert states[0] is VideoState.LIVE
        assert VideoState.INTERRUPTED in states
        assert states[-1] is VideoState.LIVE
    finally:
        await viewer.close()
        for process in (first, second):
            if isinstance(process, asyncio.subprocess.Process) and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await process.wait()


async def test_the_cli_publisher_ends_the_stream_cleanly_on_sigterm(
    hub: VideoHub, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    process = await _start_publisher_process(hub, token_file)
    assert isinstance(process, asyncio.subprocess.Process)
    await hub.wait_for_state(VideoState.LIVE)
    process.send_signal(signal.SIGTERM)
    assert await process.wait() == 0
    # It said goodbye first, so the screen shows the end, not an interruption.
    await hub.wait_for_state(VideoState.IDLE)
    assert hub.announced[-2:] == [(SESSION, VideoState.LIVE), (SESSION, VideoState.IDLE)]


async def test_a_new_publisher_replaces_the_old_one_which_steps_down(hub: VideoHub) -> None:
    stop = asyncio.Event()
    first = asyncio.ensure_future(stream(hub.url, SESSION, TOKEN, stop=stop, check_seconds=0.2))
    await hub.wait_for_state(VideoState.LIVE)
    first_id = hub.relays.publisher_id(SESSION)
    second = asyncio.ensure_future(stream(hub.url, SESSION, TOKEN, stop=stop))
    try:
        with pytest.raises(PublisherReplaced):
            await asyncio.wait_for(first, 20)
        current = hub.relays.publisher_id(SESSION)
        assert current is not None and current != first_id
        # Until the successor's first frame the screen may show a short interruption.
        await hub.wait_for_state(VideoState.LIVE)
        assert hub.relays.publisher_id(SESSION) == current
    finally:
        stop.set()
        await asyncio.gather(first, second, return_exceptions=True)


async def test_a_stalled_publisher_shows_interrupted_and_recovers_on_the_same_connection() -> None:
    # The publisher's connection stays up but its camera stops delivering frames.
    class Camera(TestPatternTrack):
        """A test pattern whose cable can be pulled and plugged back in."""

        def __init__(self) -> None:
            super().__init__(320, 240, 30)
            self.plugged = asyncio.Event()
            self.plugged.set()

        async def recv(self) -> VideoFrame:
            await self.plugged.wait()
            return await super().recv()

    async with running_hub() as hub:
        camera = Camera()
        pc = new_peer_connection()
        pc.addTransceiver(camera, direction="sendonly")
        offer = await complete_offer(pc)
        async with ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            body = {"type": "offer", "sdp": offer.sdp}
            async with http.post(hub.endpoint("publish"), json=body) as response:
                answer = await response.json()
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        viewer = await Viewer.connect(hub)
        try:
            await viewer.frames_until(rising_run(5))
            camera.plugged.clear()
            await hub.wait_for_state(VideoState.INTERRUPTED)
            camera.plugged.set()
            await hub.wait_for_state(VideoState.LIVE)
            viewer.drop_backlog()
            await viewer.frames_until(rising_run(5))
            assert hub.relays.publisher_id(SESSION) == answer["publisher"]
        finally:
            await viewer.close()
            await pc.close()


async def test_shared_encoding_serves_every_viewer_from_one_encoder(tmp_path: Path) -> None:
    settings = VideoSettings(shared_encoding=True, media_timeout_seconds=1.0)
    async with running_hub(settings) as hub:
        stop = asyncio.Event()
        publisher = asyncio.ensure_future(stream(hub.url, SESSION, TOKEN, stop=stop))
        first = await Viewer.connect(hub)
        try:
            await first.frames_until(rising_run(10))
            # A late viewer can only start at a keyframe: joining asks for one.
            late = await Viewer.connect(hub)
            try:
                frames = (await late.frames_until(rising_run(10)))[-10:]
                assert {(f.width, f.height) for f in frames} == {(640, 480)}
                assert "VP8" in late.pc.remoteDescription.sdp
                assert "H264" not in late.pc.remoteDescription.sdp
            finally:
                await late.close()
        finally:
            stop.set()
            await publisher
            await first.close()
