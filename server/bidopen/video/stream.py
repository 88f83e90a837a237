"""`bidopen stream`: publish a file, a camera or the test pattern to a session's video relay."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription

from bidopen.video.peer import complete_offer, new_peer_connection
from bidopen.video.sources import TEST_PATTERN, SourceError, SourceSpec, open_source

logger = logging.getLogger(__name__)

_RETRY_FIRST, _RETRY_MAX = 1.0, 30.0
_PERMANENT = frozenset({400, 401, 403, 404, 413, 422})


class PublishRefused(Exception):
    """The hub refused this publisher for good (bad token, no such session, bad offer)."""


class PublisherReplaced(Exception):
    """Another publisher took over the session's stream; this one stops instead of fighting."""


async def stream(
    url: str,
    session_id: str,
    token: str,
    source: str = TEST_PATTERN,
    width: int = 640,
    height: int = 480,
    fps: float = 30.0,
    *,
    loop: bool = True,
    stop: asyncio.Event | None = None,
    check_seconds: float = 5.0,
) -> None:
    """Publish `source` to the session until `stop` is set, reconnecting whenever it drops.

    Every `check_seconds` the publisher asks the hub whether it is still the
    current one. Returns after `stop`, having told the hub the stream ended on purpose. Raises
    `PublishRefused` if the hub refuses for good, `PublisherReplaced` if another
    publisher took over, and `SourceError` if the source cannot be opened.
    """
    spec = SourceSpec(source, width, height, fps, loop)
    stop = stop or asyncio.Event()
    endpoint = f"{url.rstrip('/')}/api/sessions/{session_id}/video/publish"
    headers = {"Authorization": f"Bearer {token}"}
    delay = _RETRY_FIRST

    def answered() -> None:
        nonlocal delay
        delay = _RETRY_FIRST  # a drop after a good connection is retried quickly again

    async with aiohttp.ClientSession(headers=headers) as http:
        while not stop.is_set():
            try:
                await _publish_once(http, endpoint, spec, stop, check_seconds, answered)
            except (aiohttp.ClientError, TimeoutError, _ConnectionLost) as exc:
                logger.warning("video stream lost (%s); retrying in %.0f s", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, _RETRY_MAX)


class _ConnectionLost(Exception):
    """The peer connection to the relay ended; the publisher reconnects."""


async def _publish_once(
    http: aiohttp.ClientSession,
    endpoint: str,
    spec: SourceSpec,
    stop: asyncio.Event,
    check_seconds: float,
    answered: Callable[[], None],
) -> None:
    """One connection's life, until `stop` is set or the connection is lost."""
    opened = open_source(spec)
    pc = new_peer_connection()
    ended = asyncio.Event()

    @pc.on("connectionstatechange")
    def on_state() -> None:
        if pc.connectionState in ("failed", "closed"):
            ended.set()

    try:
        pc.addTransceiver(opened.track, direction="sendonly")
        offer = await complete_offer(pc)
        answer = await _request(http, "POST", endpoint, json={"type": offer.type, "sdp": offer.sdp})
        publisher_id, sdp = answer.get("publisher"), answer.get("sdp")
        if not isinstance(publisher_id, str) or not isinstance(sdp, str):
            raise _ConnectionLost(f"unexpected answer from the hub: {answer!r}")
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
        answered()
        logger.info("publishing to %s as %s", endpoint, publisher_id)
        await _hold(http, endpoint, pc, publisher_id, ended, stop, check_seconds)
        # Said before the connection closes, so that viewers see an end, not a break.
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, _ConnectionLost):
            await _request(http, "DELETE", endpoint, params={"publisher": publisher_id})
    finally:
        await pc.close()
        opened.close()


async def _hold(
    http: aiohttp.ClientSession,
    endpoint: str,
    pc: RTCPeerConnection,
    publisher_id: str,
    ended: asyncio.Event,
    stop: asyncio.Event,
    check_seconds: float,
) -> None:
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            ending = asyncio.ensure_future(ended.wait())
            await asyncio.wait(
                {stopping, ending}, timeout=check_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            ending.cancel()
            if stop.is_set():
                return
            # A killed hub is only noticed by ICE after ~30 s; asking is quicker,
            # and it is also how a replaced publisher learns to step down.
            current = await _request(http, "GET", endpoint)
            if current.get("publisher") not in (publisher_id, None):
                raise PublisherReplaced("another publisher has taken over this session's video")
            if ended.is_set() or current.get("publisher") is None:
                raise _ConnectionLost(f"connection {pc.connectionState}")
    finally:
        stopping.cancel()


async def _request(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> dict[str, Any]:
    async with http.request(
        method, url, timeout=aiohttp.ClientTimeout(total=15), **kwargs
    ) as response:
        body: Any = await response.json(content_type=None)
        if response.status in _PERMANENT:
            raise PublishRefused(_message(body, response.status))
        if response.status >= 400:
            raise _ConnectionLost(_message(body, response.status))
        if not isinstance(body, dict):
            raise _ConnectionLost(f"unexpected answer from the hub: {body!r}")
        return body


def _message(body: Any, status: int) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('message_zh', '')} {error.get('message', '')} (HTTP {status})".strip()
    return f"HTTP {status}"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `bidopen stream` to the `bidopen` command."""
    parser = subparsers.add_parser(
        "stream",
        help="推送评标现场视频 / publish the evaluation room's video to a session",
        description="Publish a video source to a session's live relay over WebRTC, "
        "reconnecting whenever the connection drops. Stop with Ctrl-C.",
    )
    parser.add_argument("--url", required=True, help="hub address, e.g. https://hub.example")
    parser.add_argument("--session", required=True, help="opening session id")
    parser.add_argument(
        "--token-file", required=True, type=Path, help="file holding a host or clerk token"
    )
    parser.add_argument(
        "--source",
        default=TEST_PATTERN,
        help=f"{TEST_PATTERN} (default), a video file, or a camera such as /dev/video0",
    )
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument(
        "--no-loop", dest="loop", action="store_false", help="play a file once instead of looping"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run `bidopen stream` with parsed arguments; the exit status says why it ended."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        token = Path(args.token_file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        print(f"无法读取令牌文件 / cannot read the token file: {exc}", file=sys.stderr)
        return 2
    if not token:
        print("令牌文件为空 / the token file is empty", file=sys.stderr)
        return 2
    try:
        asyncio.run(_until_signalled(args, token))
    except (SourceError, ValueError) as exc:
        print(f"视频源无效 / bad video source: {exc}", file=sys.stderr)
        return 2
    except PublishRefused as exc:
        print(f"推流被拒绝 / publishing refused: {exc}", file=sys.stderr)
        return 3
    except PublisherReplaced as exc:
        print(f"已被其他推流端接替 / replaced: {exc}", file=sys.stderr)
        return 4
    return 0


async def _until_signalled(args: argparse.Namespace, token: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stream(
        args.url,
        args.session,
        token,
        args.source,
        args.width,
        args.height,
        args.fps,
        loop=args.loop,
        stop=stop,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bidopen.video.stream")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["stream", *(argv if argv is not None else sys.argv[1:])])
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
