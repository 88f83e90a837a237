"""Signalling of the live video over the hub's HTTP: publish, view, state."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from aiohttp import web

from bidopen.errors import HubError
from bidopen.http.auth import client_address
from bidopen.http.declared import answers, reads
from bidopen.http.parsing import check_declared, read_limited
from bidopen.video.errors import InvalidOffer, RelayClosed, ViewerLimitReached
from bidopen.video.peer import SdpOffer
from bidopen.video.ratelimit import RequestRate
from bidopen.video.relays import VideoRelays
from bidopen.wire.answers import PublisherStatus, VideoAnswer, VideoStatus
from bidopen.wire.bodies import VideoOffer
from bidopen.wire.decoding import decode_body

if TYPE_CHECKING:
    from aiortc import RTCSessionDescription

PublisherCheck = Callable[[web.Request, str], Awaitable[bool]]

VIDEO_RELAYS = web.AppKey("video_relays", VideoRelays)

_BASE = "/api/sessions/{session_id:[A-Za-z0-9_-]{1,64}}/video"


def add_video_routes(
    app: web.Application,
    relays: VideoRelays,
    authorize_publisher: PublisherCheck,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Add the video routes; `authorize_publisher(request, session_id)` admits hosts and clerks.

    Add `video_cleanup_ctx` to `app.cleanup_ctx` as well, so that shutdown closes
    every peer connection. Errors are raised as `HubError` for the hub's middleware.
    """
    app[VIDEO_RELAYS] = relays
    views = _VideoViews(relays, authorize_publisher, clock)
    app.router.add_post(f"{_BASE}/publish", views.publish)
    app.router.add_get(f"{_BASE}/publish", views.publisher)
    app.router.add_delete(f"{_BASE}/publish", views.stop)
    app.router.add_post(f"{_BASE}/view", views.view)
    app.router.add_get(f"{_BASE}/state", views.state)


async def video_cleanup_ctx(app: web.Application) -> AsyncIterator[None]:
    """Closes every publisher and viewer connection when the app shuts down."""
    if VIDEO_RELAYS not in app:
        raise RuntimeError("call add_video_routes before adding video_cleanup_ctx")
    # aiortc loads in a thread while the hub already serves: the hub listens a second
    # sooner, and the first video connection does not stall the event loop importing it.
    preload = asyncio.create_task(asyncio.to_thread(importlib.import_module, "bidopen.video.relay"))
    yield
    with contextlib.suppress(Exception):
        await preload
    await app[VIDEO_RELAYS].close()


class _VideoViews:
    def __init__(
        self, relays: VideoRelays, authorize: PublisherCheck, clock: Callable[[], float]
    ) -> None:
        settings = relays.settings
        self._relays = relays
        self._authorize = authorize
        self._clock = clock
        self._view_rate = RequestRate(settings.view_requests_per_minute, settings.view_burst)

    @reads(VideoOffer)
    @answers(VideoAnswer)
    async def publish(self, request: web.Request) -> web.Response:
        session_id = await self._authorized(request)
        offer = await self._offer(request)
        with _video_errors():
            published = await self._relays.publish(session_id, offer)
        return _answer(published.answer, publisher=published.publisher_id)

    @answers(PublisherStatus)
    async def publisher(self, request: web.Request) -> web.Response:
        session_id = await self._authorized(request)
        status = self._relays.status(session_id)
        body = {**status.to_json(), "publisher": self._relays.publisher_id(session_id)}
        return web.json_response(body, headers=_NO_STORE)

    @answers(VideoStatus)
    async def stop(self, request: web.Request) -> web.Response:
        session_id = await self._authorized(request)
        publisher_id = request.query.get("publisher")
        stopped = await self._relays.stop_publishing(session_id, publisher_id)
        if not stopped:
            raise HubError(
                "conflict",
                "That publisher is no longer the current one.",
                "该推流端已不是当前推流端。",
            )
        return web.json_response(self._relays.status(session_id).to_json(), headers=_NO_STORE)

    @reads(VideoOffer)
    @answers(VideoAnswer)
    async def view(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        if not self._view_rate.allow(client_address(request), self._clock()):
            raise HubError("rate_limited")
        offer = await self._offer(request)
        try:
            with _video_errors():
                answer = await self._relays.view(session_id, offer)
        except ViewerLimitReached as full:
            raise _full(full, self._relays.settings.watch_elsewhere, session_id) from None
        return _answer(answer)

    @answers(VideoStatus)
    async def state(self, request: web.Request) -> web.Response:
        status = self._relays.status(request.match_info["session_id"])
        return web.json_response(status.to_json(), headers=_NO_STORE)

    async def _authorized(self, request: web.Request) -> str:
        session_id = request.match_info["session_id"]
        if not await self._authorize(request, session_id):
            raise HubError(
                "forbidden",
                "Only the session's host or clerk may publish video.",
                "只有本场开标的主持人或工作人员可以推送视频。",
            )
        return session_id

    async def _offer(self, request: web.Request) -> SdpOffer:
        limit = self._relays.settings.max_sdp_bytes
        # The hub's own body limit is sized for bid files; an offer has its own.
        check_declared(request, VideoOffer)
        raw = await read_limited(request, limit, "Offers")
        body = decode_body(raw, VideoOffer)
        try:
            return SdpOffer.from_json({"type": body.type, "sdp": body.sdp}, limit)
        except InvalidOffer as exc:
            raise _refused_offer(exc) from exc


_NO_STORE = {"Cache-Control": "no-store"}


def _answer(answer: RTCSessionDescription, **extra: str) -> web.Response:
    return web.json_response({"type": answer.type, "sdp": answer.sdp, **extra}, headers=_NO_STORE)


def _refused_offer(exc: InvalidOffer) -> HubError:
    return HubError("validation_failed", f"sdp: {exc}", field="sdp")


@contextlib.contextmanager
def _video_errors() -> Iterator[None]:
    """Turns the relay's refusals into the hub's error codes."""
    try:
        yield
    except InvalidOffer as exc:
        raise _refused_offer(exc) from exc
    except RelayClosed as exc:
        raise HubError("unavailable", str(exc)) from exc


def _full(full: ViewerLimitReached, elsewhere: str, session_id: str) -> HubError:
    """The refusal of a viewer beyond the cap, saying where to watch instead."""
    where = elsewhere or f"/screen/{session_id}"
    return HubError(
        "unavailable",
        f"{full}; watch at {where} instead",
        f"本服务器的视频观众已达上限（{full.limit}），请改在 {where} 观看。",
    )
