"""Real hubs and real aiortc viewers for the video tests: sockets on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from bidopen.appkeys import TRUSTED_PROXIES
from bidopen.errors import HubError, error_payload
from bidopen.http.clientaddress import TrustedProxies
from bidopen.video import (
    VideoRelays,
    VideoSettings,
    VideoState,
    add_video_routes,
    video_cleanup_ctx,
)
from bidopen.video.pattern import read_counter
from bidopen.video.peer import complete_offer, new_peer_connection

TOKEN = "host-token-for-tests"
SESSION = "session-1"


@web.middleware
async def hub_errors(
    request: web.Request, handler: Callable[[web.Request], Any]
) -> web.StreamResponse:
    """Stands in for the hub's error middleware: a HubError becomes its JSON payload."""
    try:
        response: web.StreamResponse = await handler(request)
    except HubError as error:
        return web.json_response(error_payload(error), status=error.status)
    return response


async def token_check(request: web.Request, session_id: str) -> bool:
    return request.headers.get("Authorization") == f"Bearer {TOKEN}"


@dataclass
class VideoHub:
    """A running aiohttp app with the video routes and nothing else."""

    url: str
    relays: VideoRelays
    runner: web.AppRunner
    announced: list[tuple[str, VideoState]] = field(default_factory=list)

    def endpoint(self, name: str, session_id: str = SESSION) -> str:
        return f"{self.url}/api/sessions/{session_id}/video/{name}"

    async def state(self, session_id: str = SESSION) -> dict[str, Any]:
        async with ClientSession() as http, http.get(self.endpoint("state", session_id)) as r:
            body: dict[str, Any] = await r.json()
            return body

    async def wait_for_state(
        self, expected: VideoState, session_id: str = SESSION, within: float = 20.0
    ) -> None:
        """Polls the public state endpoint, as a page would, until it says `expected`."""
        deadline = time.monotonic() + within
        seen: dict[str, Any] = {}
        while time.monotonic() < deadline:
            seen = await self.state(session_id)
            if seen["state"] == expected.value:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"state never became {expected.value}; last seen {seen}")


@contextlib.asynccontextmanager
async def running_hub(settings: VideoSettings | None = None) -> AsyncIterator[VideoHub]:
    relays = VideoRelays(settings or VideoSettings())
    app = web.Application(middlewares=[hub_errors])
    # Per-address limits read the client's address through the hub's trusted proxies.
    app[TRUSTED_PROXIES] = TrustedProxies(())
    add_video_routes(app, relays, token_check)
    app.cleanup_ctx.append(video_cleanup_ctx)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    hub = VideoHub(f"http://{host}:{port}", relays, runner)

    async def record(session_id: str, state: VideoState) -> None:
        hub.announced.append((session_id, state))

    relays.set_state_listener(record)
    try:
        yield hub
    finally:
        await runner.cleanup()


@dataclass(frozen=True)
class SeenFrame:
    width: int
    height: int
    counter: int


class Viewer:
    """An aiortc viewer, as a big screen would be; it keeps what it decoded, not the pixels."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.pc = pc
        self.tracks: list[MediaStreamTrack] = []
        self.frames: asyncio.Queue[SeenFrame] = asyncio.Queue()
        self._readers: list[asyncio.Task[None]] = []
        pc.on("track", self._on_track)

    @classmethod
    async def connect(cls, hub: VideoHub, session_id: str = SESSION) -> Viewer:
        viewer = cls(new_peer_connection())
        viewer.pc.addTransceiver("video", direction="recvonly")
        offer = await complete_offer(viewer.pc)
        async with (
            ClientSession() as http,
            http.post(
                hub.endpoint("view", session_id), json={"type": "offer", "sdp": offer.sdp}
            ) as response,
        ):
            body = await response.json()
            assert response.status == 200, body
        await viewer.pc.setRemoteDescription(RTCSessionDescription(body["sdp"], "answer"))
        await eventually(
            lambda: viewer.pc.connectionState == "connected", "the viewer's connection"
        )
        return viewer

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.tracks.append(track)
        self._readers.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, VideoFrame)
                self.frames.put_nowait(SeenFrame(frame.width, frame.height, read_counter(frame)))

    async def frames_until(
        self, done: Callable[[list[SeenFrame]], bool], within: float = 20.0
    ) -> list[SeenFrame]:
        """Frames decoded from now on, until `done(frames)` holds."""
        seen: list[SeenFrame] = []
        async with asyncio.timeout(within):
            while not done(seen):
                seen.append(await self.frames.get())
        return seen

    def drop_backlog(self) -> None:
        while not self.frames.empty():
            self.frames.get_nowait()

    async def close(self) -> None:
        await self.pc.close()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


def rising_run(length: int) -> Callable[[list[SeenFrame]], bool]:
    """True once the last `length` frames carry strictly increasing pattern counters."""

    def done(frames: list[SeenFrame]) -> bool:
        tail = [f.counter for f in frames[-length:]]
        return len(tail) == length and all(a < b for a, b in itertools.pairwise(tail))

    return done


async def eventually(condition: Callable[[], bool], what: str, within: float = 20.0) -> None:
    """Waits until `condition()` holds; fails the test after `within` seconds."""
    deadline = time.monotonic() + within
    # Polled: the conditions are aiortc's and the relay's state, which announce no event.
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within} s")
        await asyncio.sleep(0.05)
