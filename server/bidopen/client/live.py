"""Following one session live over Socket.IO (python-socketio), with catch-up from the log."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import socketio

from bidopen.client.errors import ClientError
from bidopen.client.feed import SessionFeed, messages_from
from bidopen.client.models import EventMessage, Snapshot
from bidopen.client.rest import HubHttp

_CONNECT_TIMEOUT_S = 15.0
_CALL_TIMEOUT_S = 15.0
_RECONNECT_DELAY_S = 0.25
_RECONNECT_MAX_DELAY_S = 4.0


async def fetch_events(http: HubHttp, session_id: str, after: int) -> list[EventMessage]:
    """Every event after `after` the caller's role may see, page by page."""
    events: list[EventMessage] = []
    while True:
        page = await http.get(f"/api/sessions/{session_id}/events", {"after": str(after)})
        batch, more, after = messages_from(page)
        events.extend(batch)
        if not more:
            return events


def _ack_result(reply: Any) -> Any:
    if isinstance(reply, dict) and "error" in reply:
        raise ClientError.from_payload(reply)
    return reply


class LiveSession:
    """One socket on `/host`, `/bidder` or `/public`, in one session's room.

    Host and bidder sockets `join` the room; a public socket names its session when it
    connects and gets a `snapshot`. When the socket drops, it reconnects to the hub URLs
    in turn, starting with the next one (a node that died stays dead), re-enters the room
    and the feed catches up from the log by sequence number.
    """

    def __init__(self, http: HubHttp, namespace: str, session_id: str) -> None:
        self._http = http
        self._namespace = namespace
        self._session_id = session_id
        # permessage-deflate, as browsers offer it: the hub compresses a read-out once for
        # every client that takes it (tens of kilobytes become a few).
        # Reconnection is ours, not python-socketio's: its own retries one URL only.
        self._sio = socketio.AsyncClient(
            reconnection=False, websocket_extra_options={"compress": 15}
        )
        self._auth: dict[str, str] = {}
        self._closing = False
        self._connects = 0
        self._refusal: Any = None
        self._first_snapshot: asyncio.Future[Snapshot] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.feed = SessionFeed(lambda after: fetch_events(http, session_id, after))

    @property
    def _public(self) -> bool:
        return self._namespace == "/public"

    async def open(self) -> SessionFeed:
        """Connect, enter the session's room, and start the feed at the snapshot."""
        ns = self._namespace
        self._first_snapshot = asyncio.get_running_loop().create_future()
        self._sio.on("connect", self._on_connect, namespace=ns)
        self._sio.on("connect_error", self._on_connect_error, namespace=ns)
        self._sio.on("event", self._on_event, namespace=ns)
        self._sio.on("snapshot", self._on_snapshot, namespace=ns)
        self._sio.on("disconnect", self._on_disconnect, namespace=ns)
        if self._public:
            auth: dict[str, str] = {"session_id": self._session_id}
        else:
            if self._http.token is None:
                raise ClientError("unauthenticated", "sign in before following a session")
            auth = {"token": self._http.token}
        self._auth = auth
        try:
            await self._connect(self._http.base_url)
        except socketio.exceptions.ConnectionError as error:
            if self._refusal is not None:
                raise ClientError.from_payload(self._refusal) from None
            raise ClientError.unreachable(self._http.base_url, error) from None
        try:
            if self._public:
                snapshot = await asyncio.wait_for(self._first_snapshot, _CONNECT_TIMEOUT_S)
            else:
                snapshot = await self._join()
        except BaseException:
            await self.close()
            raise
        self.feed.start(snapshot)
        return self.feed

    async def _connect(self, url: str) -> None:
        await self._sio.connect(
            url,
            namespaces=[self._namespace],
            auth=self._auth,
            transports=["websocket"],
            wait_timeout=_CONNECT_TIMEOUT_S,
        )

    def _on_disconnect(self, reason: Any = None) -> None:
        if self._closing:
            return
        task = asyncio.get_running_loop().create_task(self._reconnect())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _reconnect(self) -> None:
        """Try the hub URLs in turn, the next one first, until one takes the socket."""
        delay = _RECONNECT_DELAY_S
        while not self._closing:
            url = self._http.next_url()
            # ValueError: the engine.io client still winds the dropped connection down
            # ("not in a disconnected state"); the next try finds it done.
            with contextlib.suppress(socketio.exceptions.ConnectionError, OSError, ValueError):
                await self._connect(url)
                self._http.prefer(url)
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RECONNECT_MAX_DELAY_S)

    async def _join(self) -> Snapshot:
        reply = await self.call("join", {"session_id": self._session_id})
        if not isinstance(reply, dict):
            raise ClientError("bad_response", f"unexpected join answer: {reply!r:.200}")
        return Snapshot.from_json(reply.get("snapshot"))

    async def call(self, event: str, data: dict[str, Any]) -> Any:
        """Send a socket message and wait for its acknowledgement."""
        try:
            reply = await self._sio.call(
                event, data, namespace=self._namespace, timeout=_CALL_TIMEOUT_S
            )
        except socketio.exceptions.TimeoutError:
            raise ClientError("timeout", f"no answer to {event!r} in {_CALL_TIMEOUT_S} s") from None
        except socketio.exceptions.BadNamespaceError as error:
            raise ClientError.unreachable(self._http.base_url, error) from None
        return _ack_result(reply)

    def _on_connect(self) -> None:
        self._connects += 1
        if self._connects > 1:
            # Rooms do not survive a reconnection: re-enter, then fill what was missed.
            task = asyncio.get_running_loop().create_task(self._rejoin())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _rejoin(self) -> None:
        if not self._public:
            with contextlib.suppress(ClientError):
                await self._join()
        self.feed.request_catch_up()

    def _on_connect_error(self, data: Any = None) -> None:
        # python-socketio hands over the whole packet, `{"message", "data"}`; the hub's
        # error payload is its data (docs/protocol.md section 6).
        self._refusal = data.get("data") if isinstance(data, dict) and "data" in data else data

    def _on_snapshot(self, data: Any) -> None:
        future = self._first_snapshot
        if future is not None and not future.done():
            try:
                future.set_result(Snapshot.from_json(data))
            except ClientError as error:
                future.set_exception(error)

    def _on_event(self, data: Any) -> None:
        try:
            message = EventMessage.from_json(data)
        except ClientError:
            return
        self.feed.deliver(message)

    async def close(self) -> None:
        self._closing = True
        for task in list(self._background):
            task.cancel()
        await self.feed.close()
        with contextlib.suppress(Exception):
            await self._sio.disconnect()
