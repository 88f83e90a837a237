"""The websocket sessions a fan-out may write to itself, and what tells it when it may not."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from aiohttp import web
from aiohttp.http_websocket import WebSocketWriter
from engineio.async_drivers import aiohttp as eio_aiohttp

from bidopen.realtime.deflate import IndependentDeflateResponse, TransientDeflateWriter

# Why a viewer may not be written to directly right now (bits of `DirectViewer.held`).
# Engine.io has not yet been seen with the session plainly on its websocket (upgraded and
# not upgrading, not closing): cleared once a full check finds it so, which then holds
# for good, since engine.io upgrades a session once and closing is told by CLOSING.
UNCONFIRMED = 1
# Engine.io's queue has a packet its writer has not yet handed to aiohttp.
QUEUED = 2
# aiohttp holds a message: inside `send_frame` (compressing, waiting for the lock or for
# a paused transport to drain) or in the task that compresses a large one.
SENDING = 4
# Engine.io is closing the session.
CLOSING = 8
# The websocket handler has ended: the session is not reachable this way any more.
DETACHED = 16
# Its queue or writer is not one that tells (another engine.io or aiohttp set-up):
# every broadcast asks engine.io and aiohttp themselves, as a full check does.
UNWATCHED = 32


@runtime_checkable
class StreamTransport(Protocol):
    """What a direct write needs of a connection's transport.

    asyncio's own transports are `asyncio.WriteTransport`s; uvloop's are not (they are
    its own classes) but have the same methods, so the fast path checks for these.
    """

    def write(self, data: bytes) -> None: ...
    def is_closing(self) -> bool: ...
    def get_write_buffer_size(self) -> int: ...
    def abort(self) -> None: ...


class DirectViewer:
    """An engine.io session whose websocket the fan-out may write to itself.

    What a write consults is kept here, looked up once per connection; `held` is kept
    up to date by the session's queue and writer, so that a broadcast reads one number
    instead of asking five objects per viewer.
    """

    __slots__ = ("eio_sid", "eio_socket", "held", "transport", "window_bits", "writer")

    def __init__(
        self, eio_socket: Any, transport: StreamTransport, writer: WebSocketWriter, window_bits: int
    ) -> None:
        self.eio_sid: str = eio_socket.sid
        self.eio_socket = eio_socket
        self.transport = transport
        self.writer = writer
        # The negotiated permessage-deflate window (9 to 15), or 0 without compression.
        self.window_bits = window_bits
        self.held = UNCONFIRMED | UNWATCHED

    def hold(self, reason: int, holds: bool) -> None:
        self.held = self.held | reason if holds else self.held & ~reason


class WatchedQueue(asyncio.Queue[Any]):
    """Engine.io's queue of a session, telling its viewer whether a packet is unfinished.

    A packet is unfinished from `put` until engine.io's writer marks it done, just
    before handing it to aiohttp without yielding; `queue.join()` relies on the same count.
    """

    viewer: DirectViewer | None = None

    def watch(self, viewer: DirectViewer | None) -> None:
        self.viewer = viewer
        self._tell()

    def put_nowait(self, item: Any) -> None:
        super().put_nowait(item)
        self._tell()

    def task_done(self) -> None:
        super().task_done()
        self._tell()

    def _tell(self) -> None:
        if self.viewer is not None:
            self.viewer.hold(QUEUED, unfinished(self) > 0)


def unfinished(queue: asyncio.Queue[Any]) -> int:
    """Packets put on the queue and not yet marked done (popped is not enough)."""
    count: int = queue._unfinished_tasks  # type: ignore[attr-defined]
    return count


def writer_busy(writer: WebSocketWriter) -> bool:
    """Whether aiohttp may hold a message of this writer, asked of aiohttp itself."""
    # engine.io counts a packet as sent (task_done) just before handing it to aiohttp, which
    # may still hold it: compressing a message above 16 KiB in a task of its own (started
    # later, so the task set tells before the lock does), or waiting for a paused transport
    # to drain with more packets of the same batch behind it.  A direct write in that moment
    # would overtake them; such a viewer takes engine.io's queue this time.
    return bool(writer._background_tasks or writer._send_lock.locked() or writer.protocol._paused)


class _Tasks(set[asyncio.Task[None]]):
    """aiohttp's set of a writer's compression tasks, telling the writer when one ends."""

    def __init__(self, writer: WatchedWriter) -> None:
        super().__init__()
        self._writer = writer

    def discard(self, task: object) -> None:
        super().discard(task)
        self._writer.tell()


class WatchedWriter(TransientDeflateWriter):
    """aiohttp's websocket writer, telling its viewer while it holds a message.

    aiohttp holds a message only inside `send_frame` (every frame it sends, pings and
    the close frame included, goes through it) and in the compression task it may start
    there, which can outlive a cancelled `send_frame`; its lock is taken only inside
    those two, and a wait for a paused transport to drain only inside `send_frame`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer: DirectViewer | None = None
        self._sending = 0
        self._background_tasks = _Tasks(self)

    def watch(self, viewer: DirectViewer | None) -> None:
        self.viewer = viewer
        self.tell()

    async def send_frame(self, message: bytes, opcode: int, compress: int | None = None) -> None:
        self._sending += 1
        self.tell()
        try:
            await super().send_frame(message, opcode, compress)
        finally:
            self._sending -= 1
            self.tell()

    def tell(self) -> None:
        if self.viewer is not None:
            self.viewer.hold(SENDING, bool(self._sending or self._background_tasks))


class WatchedResponse(IndependentDeflateResponse):
    """The hub's websocket response with a writer that tells when it holds a message."""

    writer_class = WatchedWriter


class TrackedWebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]
    """engine.io's aiohttp websocket wrapper, reporting each session's viewer while it is open."""

    def __init__(
        self,
        handler: Any,
        server: Any,
        opened: Callable[[DirectViewer], None],
        closed: Callable[[DirectViewer], None],
    ) -> None:
        # engine.io passes the bound ``_websocket_handler`` of the session's socket; if a
        # future engine.io does not, the session simply keeps engine.io's own path.
        eio_socket = getattr(handler, "__self__", None)

        async def tracked(ws: TrackedWebSocket) -> None:
            request: web.Request = ws.environ["aiohttp.request"]
            transport = request.transport
            if eio_socket is None or not isinstance(transport, StreamTransport):
                await handler(ws)
                return
            response: WatchedResponse = ws._sock
            writer = response._writer
            if writer is None:  # prepare() always sets it; without it keep engine.io's path
                await handler(ws)
                return
            viewer = DirectViewer(eio_socket, transport, writer, response.deflate_window_bits)
            queue = eio_socket.queue
            if isinstance(queue, WatchedQueue) and isinstance(writer, WatchedWriter):
                queue.watch(viewer)
                writer.watch(viewer)
                viewer.hold(UNWATCHED, False)
            opened(viewer)
            try:
                await handler(ws)
            finally:
                viewer.hold(DETACHED, True)
                if isinstance(queue, WatchedQueue) and isinstance(writer, WatchedWriter):
                    queue.watch(None)
                    writer.watch(None)
                closed(viewer)

        wrapped: Callable[[TrackedWebSocket], Awaitable[None]] = tracked
        super().__init__(wrapped, server)

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        # engine.io's own __call__ (python-engineio 4.15), with the one response class that
        # lets a frame compressed once be written to every connection.
        request = environ["aiohttp.request"]
        self._sock = WatchedResponse(max_msg_size=self.server.max_http_buffer_size)
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock
