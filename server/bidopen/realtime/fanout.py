"""Fast room broadcast: one socket.io event, encoded once, written to every client's websocket."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from dataclasses import dataclass
from typing import Any

import socketio
from engineio import exceptions as eio_exceptions
from engineio import json as eio_json
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from bidopen.metrics import HubMetrics
from bidopen.realtime.deflate import BEST_LEVEL, FAST_LEVEL
from bidopen.realtime.frames import BroadcastFrames, EventBatch, encode_event_message
from bidopen.realtime.roomheads import RoomHeads
from bidopen.realtime.viewers import (
    CLOSING,
    DETACHED,
    UNCONFIRMED,
    DirectViewer,
    TrackedWebSocket,
    WatchedQueue,
    unfinished,
    writer_busy,
)

log = logging.getLogger("bidopen.realtime")

# Namespaces whose room broadcasts take the fast path when the managers below are used:
# the hub's three.  The public room is the large one; a bidder room of hundreds gains too,
# and every party then receives the read-out from the same loop pass.
FANOUT_NAMESPACES = frozenset({"/public", "/bidder", "/host"})

# Rooms of at least this many clients get their broadcast compressed at the best level.
_BEST_LEVEL_FROM = 16
# What became of one recipient of a broadcast (indexes into the tally).
_DIRECT, _QUEUED, _DROPPED, _GONE = range(4)


@dataclass(frozen=True)
class FanoutLimits:
    """How hard the broadcast pushes: batch size between yields, and when a viewer is too slow."""

    # Writes between two yields to the event loop, so that pings, handshakes and
    # other sessions keep being served while thousands of viewers are written to.
    batch_size: int = 512
    # A viewer whose unsent bytes exceed this is disconnected instead of being buffered
    # for without bound; it reconnects and catches up from the log by sequence number.
    max_buffered_bytes: int = 1 << 20
    # The same bound for viewers served through engine.io's own queue (polling).
    max_queued_packets: int = 256

    def __post_init__(self) -> None:
        for name in ("batch_size", "max_buffered_bytes", "max_queued_packets"):
            if getattr(self, name) < 1:
                raise ValueError(f"FanoutLimits.{name} must be positive")


@dataclass(frozen=True)
class FanoutReport:
    """What one broadcast did: viewers written directly, queued through engine.io, dropped."""

    direct: int
    queued: int
    dropped: int

    @property
    def delivered(self) -> int:
        return self.direct + self.queued

    def __add__(self, other: FanoutReport) -> FanoutReport:
        return FanoutReport(
            self.direct + other.direct, self.queued + other.queued, self.dropped + other.dropped
        )


class _Audience:
    """The members of one room on this node, as the fan-out reaches them.

    Viewers on a websocket are grouped by their deflate window, so that a broadcast picks
    the bytes once per group; the rest (long-polling, or not yet on their websocket)
    take engine.io's queue.
    """

    __slots__ = ("members", "others", "windows")

    def __init__(self) -> None:
        self.members: dict[str, DirectViewer | None] = {}
        self.windows: dict[int, dict[str, DirectViewer]] = {}
        self.others: dict[str, None] = {}

    def add(self, eio_sid: str, viewer: DirectViewer | None) -> None:
        self.remove(eio_sid)
        self.members[eio_sid] = viewer
        if viewer is None:
            self.others[eio_sid] = None
        else:
            self.windows.setdefault(viewer.window_bits, {})[eio_sid] = viewer

    def remove(self, eio_sid: str) -> None:
        if eio_sid not in self.members:
            return
        viewer = self.members.pop(eio_sid)
        if viewer is None:
            del self.others[eio_sid]
        else:
            group = self.windows[viewer.window_bits]
            del group[eio_sid]
            if not group:
                del self.windows[viewer.window_bits]


class RoomFanout:
    """Broadcasts to a room by writing the same pre-encoded bytes to every websocket in it.

    python-socketio's ``emit(..., to=room)`` creates a task per recipient, queues a
    packet per recipient and wakes one writer task per recipient (and compresses per
    recipient when the browser negotiated permessage-deflate).  Here the frames are
    built once, compressed once per negotiated window (see ``deflate``), and written
    straight to each transport; viewers that are not plainly on a websocket
    (long-polling, mid-upgrade, or with packets still queued or still held by aiohttp)
    take engine.io's queue exactly as ``emit`` would, which keeps their order.

    With ``follow_rooms`` the client manager tells of every change of its rooms
    (``seat``/``unseat``, as ``FanoutManager`` does) and a broadcast walks a ready list;
    without it a broadcast asks the manager for the room's participants.

    Delivers to the viewers connected to this process only, like ``emit`` with the
    default manager: in a multi-node deployment every node broadcasts to its own.
    """

    def __init__(
        self, sio: Any, limits: FanoutLimits | None = None, *, follow_rooms: bool = False
    ) -> None:
        mode = sio.eio.async_mode
        if mode != "aiohttp":
            raise ValueError(f"RoomFanout needs async_mode 'aiohttp', not {mode!r}")
        if sio.packet_class is not sio_packet.Packet or sio_packet.Packet.json is not eio_json:
            raise ValueError("RoomFanout encodes standard JSON packets; the server uses another")
        disconnect = sio.eio.handlers.get("disconnect")
        if not inspect.iscoroutinefunction(disconnect):
            raise ValueError("RoomFanout needs python-socketio's engine.io disconnect handler")
        self._sio = sio
        self._limits = limits or FanoutLimits()
        self._viewers: dict[str, DirectViewer] = {}
        self._audiences: dict[tuple[str, str | None], _Audience] | None = (
            {} if follow_rooms else None
        )
        # The rooms each session sits in, to move it when its websocket opens or closes.
        self._seats: dict[str, set[tuple[str, str | None]]] = {}
        self._totals = FanoutReport(direct=0, queued=0, dropped=0)
        # engine.io picks its websocket wrapper from this table and offers no public hook
        # that tells which websocket belongs to which session; a copy, because the table
        # is shared by every server in the process.
        drivers = dict(sio.eio._async)
        drivers["websocket"] = self._tracked_websocket
        sio.eio._async = drivers
        # Each session's queue comes from here: one that tells its viewer what it holds
        # (an asyncio.Queue for anyone else who asks the server for one).
        sio.eio.create_queue = WatchedQueue

        # engine.io marks a session closing and awaits this handler at once, before
        # anything else can run: a direct write from then on would land after the close.
        async def closing(eio_sid: str, reason: Any) -> Any:
            viewer = self._viewers.get(eio_sid)
            if viewer is not None:
                viewer.hold(CLOSING, True)
            return await disconnect(eio_sid, reason)

        sio.eio.handlers["disconnect"] = closing

    @property
    def websocket_viewers(self) -> int:
        """Sessions of this process currently reachable by a direct write."""
        return len(self._viewers)

    @property
    def totals(self) -> FanoutReport:
        """Everything this fan-out has done since it was made, for metrics."""
        return self._totals

    def seat(self, namespace: str, room: str | None, eio_sid: str) -> None:
        """The session ``eio_sid`` entered ``room`` of ``namespace`` (with ``follow_rooms``)."""
        if self._audiences is None:
            return
        audience = self._audiences.get((namespace, room))
        if audience is None:
            audience = self._audiences[namespace, room] = _Audience()
        audience.add(eio_sid, self._viewers.get(eio_sid))
        self._seats.setdefault(eio_sid, set()).add((namespace, room))

    def unseat(self, namespace: str, room: str | None, eio_sid: str) -> None:
        """The session ``eio_sid`` left ``room`` of ``namespace`` (with ``follow_rooms``)."""
        if self._audiences is None:
            return
        audience = self._audiences.get((namespace, room))
        if audience is not None:
            audience.remove(eio_sid)
            if not audience.members:
                del self._audiences[namespace, room]
        seats = self._seats.get(eio_sid)
        if seats is not None:
            seats.discard((namespace, room))
            if not seats:
                del self._seats[eio_sid]

    def audience(self, namespace: str, room: str | None) -> set[str]:
        """The sessions a broadcast to this room reaches on this node."""
        direct, others = self._recipients(namespace, room)
        return {viewer.eio_sid for _, group in direct for viewer in group} | set(others)

    async def broadcast(
        self, namespace: str, room: str | None, event: str, payload: Any
    ) -> FanoutReport:
        """Send ``event`` with ``payload`` to every client of ``room`` in ``namespace``.

        ``room=None`` means every client of the namespace, as in ``emit``.  The payload
        is encoded before anything is written, so a payload that is not JSON reaches
        nobody.  An ``EventBatch`` sends each of its payloads, in order, written to each
        websocket at once.
        """
        payloads = payload.payloads if isinstance(payload, EventBatch) else (payload,)
        messages = [encode_event_message(namespace, event, each) for each in payloads]
        direct, others = self._recipients(namespace, room)
        count = len(others) + sum(len(group) for _, group in direct)
        # The best compression pays off only when many clients share it.
        level = BEST_LEVEL if count >= _BEST_LEVEL_FROM else FAST_LEVEL
        frames = BroadcastFrames(messages, level=level)
        # The engine.io packets for queued viewers: each caches its encoding, as in emit.
        packets = [eio_packet.Packet(eio_packet.MESSAGE, message[1:]) for message in messages]
        batch_size = self._limits.batch_size
        # Writes left before the next yield to the event loop.
        budget = batch_size
        written = 0
        tally = [0, 0, 0, 0]
        for window_bits, viewers in direct:
            data = frames.for_window(window_bits)
            start = 0
            while start < len(viewers):
                if not budget:
                    await asyncio.sleep(0)
                    budget = batch_size
                batch = viewers[start : start + budget]
                start += len(batch)
                budget -= len(batch)
                for viewer in batch:
                    transport = viewer.transport
                    # Nothing held and nothing unsent: neither engine.io nor aiohttp
                    # has a packet this write could overtake, and the viewer keeps up.
                    if viewer.held or transport.get_write_buffer_size() or transport.is_closing():
                        outcome = self._write(viewer, frames)
                        if outcome is None:
                            outcome = await self._queue(viewer.eio_sid, packets)
                        tally[outcome] += 1
                    else:
                        transport.write(data)
                        written += 1
        for eio_sid in others:
            if not budget:
                await asyncio.sleep(0)
                budget = batch_size
            budget -= 1
            tally[await self._queue(eio_sid, packets)] += 1
        report = FanoutReport(
            direct=written + tally[_DIRECT], queued=tally[_QUEUED], dropped=tally[_DROPPED]
        )
        self._totals = self._totals + report
        return report

    def _recipients(
        self, namespace: str, room: str | None
    ) -> tuple[list[tuple[int, list[DirectViewer]]], list[str]]:
        """The room's websocket viewers by deflate window, and the other sessions."""
        if self._audiences is not None:
            audience = self._audiences.get((namespace, room))
            if audience is None:
                return [], []
            groups = [(bits, list(group.values())) for bits, group in audience.windows.items()]
            return groups, list(audience.others)
        windows: dict[int, list[DirectViewer]] = {}
        others: list[str] = []
        for _, eio_sid in self._sio.manager.get_participants(namespace, room):
            viewer = self._viewers.get(eio_sid)
            if viewer is None:
                others.append(eio_sid)
            else:
                windows.setdefault(viewer.window_bits, []).append(viewer)
        return list(windows.items()), others

    def _write(self, viewer: DirectViewer, frames: BroadcastFrames) -> int | None:
        """The full check and write for a viewer whose `held` or unsent bytes say to look
        closer; None if the frames must be queued."""
        if viewer.held & DETACHED:
            return None
        eio_socket = viewer.eio_socket
        # During an upgrade engine.io holds packets back until the client has switched;
        # a direct write then could reach a client that is not listening on it yet.
        if (
            not eio_socket.upgraded
            or eio_socket.upgrading
            or eio_socket.closing
            or eio_socket.closed
        ):
            return None
        # Upgraded once and for all; closing from now on is told by CLOSING.
        viewer.hold(UNCONFIRMED, False)
        transport = viewer.transport
        if transport.is_closing():
            return _GONE
        if transport.get_write_buffer_size() > self._limits.max_buffered_bytes:
            # Close the TCP connection: a close frame would wait behind the very backlog
            # that makes this viewer too slow.
            transport.abort()
            return _DROPPED
        if unfinished(eio_socket.queue) or writer_busy(viewer.writer):
            return None
        transport.write(frames.for_window(viewer.window_bits))
        return _DIRECT

    async def _queue(self, eio_sid: str, packets: list[Any]) -> int:
        """Hand the packets to engine.io's queue for this session, as emit does."""
        eio_socket = self._sio.eio.sockets.get(eio_sid)
        if eio_socket is None or eio_socket.closing or eio_socket.closed:
            return _GONE
        if eio_socket.queue.qsize() >= self._limits.max_queued_packets:
            viewer = self._viewers.get(eio_sid)
            if viewer is not None:
                # A websocket viewer stuck behind its own backlog: as in _write.
                viewer.transport.abort()
            await eio_socket.close(wait=False, reason=self._sio.eio.reason.SERVER_DISCONNECT)
            return _DROPPED
        try:
            for packet in packets:
                await self._sio.eio.send_packet(eio_sid, packet)
        except eio_exceptions.SocketIsClosedError:
            return _GONE
        return _QUEUED

    def _tracked_websocket(self, handler: Any, server: Any) -> TrackedWebSocket:
        return TrackedWebSocket(handler, server, self._opened, self._closed)

    def _opened(self, viewer: DirectViewer) -> None:
        self._viewers[viewer.eio_sid] = viewer
        self._move(viewer.eio_sid, viewer)

    def _closed(self, viewer: DirectViewer) -> None:
        if self._viewers.get(viewer.eio_sid) is viewer:
            del self._viewers[viewer.eio_sid]
            self._move(viewer.eio_sid, None)

    def _move(self, eio_sid: str, viewer: DirectViewer | None) -> None:
        if self._audiences is None:
            return
        for key in self._seats.get(eio_sid, ()):
            self._audiences[key].add(eio_sid, viewer)


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    """python-socketio's single-process client manager, with ``RoomFanout`` for the hub's rooms.

    ``sio.emit(event, data, to=room, namespace="/public")`` then takes the fast path and
    the rest of the code does not change; ``data`` may be an ``EventBatch``.  Emits with
    a callback, a ``skip_sid``, several rooms or several arguments keep python-socketio's
    own path (a batch then goes out payload by payload).  Payloads on the fast path must
    be JSON: a binary one raises ``TypeError`` instead of becoming a binary packet.
    """

    def __init__(self, limits: FanoutLimits | None = None) -> None:
        super().__init__()
        self.fanout_limits = limits or FanoutLimits()
        self._fanout: RoomFanout | None = None
        self.room_heads = RoomHeads()
        self.metrics: HubMetrics | None = None

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        # The server calls this while it is built, before any client can connect.
        self._fanout = RoomFanout(server, self.fanout_limits, follow_rooms=True)

    @property
    def fanout(self) -> RoomFanout:
        if self._fanout is None:
            raise RuntimeError("FanoutManager is not attached to a socket.io server yet")
        return self._fanout

    # Every change of python-socketio's rooms goes through these two (connect, disconnect,
    # enter, leave, close): the fan-out's rosters follow them.
    def basic_enter_room(
        self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None
    ) -> None:
        before = self.rooms.get(namespace, {}).get(room, {}).get(sid)
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        after: str = self.rooms[namespace][room][sid]
        if self._fanout is not None and after != before:
            if before is not None:
                self._fanout.unseat(namespace, room, before)
            self._fanout.seat(namespace, room, after)

    def basic_leave_room(self, sid: str, namespace: str, room: str | None) -> None:
        eio_sid = self.rooms.get(namespace, {}).get(room, {}).get(sid)
        super().basic_leave_room(sid, namespace, room)
        if self._fanout is not None and eio_sid is not None:
            self._fanout.unseat(namespace, room, eio_sid)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if isinstance(room, str) and not self.rooms.get(namespace, {}).get(room):
            # Nobody of this room on this node (with Redis every node hears every commit):
            # nothing to encode or write, and a later viewer starts from its own snapshot.
            self.room_heads.forget(namespace, room)
            return
        if isinstance(data, EventBatch) and event == "event" and isinstance(room, str):
            admitted = self.room_heads.admit(namespace, room, data)
            if admitted is None:
                return  # every event of the batch already went out to this room
            data = admitted
        if (
            namespace in FANOUT_NAMESPACES
            and (room is None or isinstance(room, str))
            and skip_sid is None
            and callback is None
            and not isinstance(data, tuple)
        ):
            started = time.perf_counter()
            await self.fanout.broadcast(namespace, room, event, data)
            if self.metrics is not None and isinstance(data, EventBatch):
                self.metrics.fanout_seconds.labels(namespace).observe(time.perf_counter() - started)
            return
        for payload in data.payloads if isinstance(data, EventBatch) else (data,):
            await super().emit(
                event, payload, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )

    async def emit_here(self, event: str, data: Any, namespace: str, room: str) -> None:
        """Deliver to this node's sockets only (the catch-up after a Redis outage)."""
        await FanoutManager.emit(self, event, data, namespace, room=room)
