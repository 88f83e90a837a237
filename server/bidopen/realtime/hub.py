"""The Socket.IO server of the hub: one room per session in each namespace, and its fan-out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

import socketio
from aiohttp import web

from bidopen.config import Config
from bidopen.health import NotReady
from bidopen.http.clientaddress import TrustedProxies
from bidopen.metrics import HubMetrics
from bidopen.realtime.broadcast import broadcast_public
from bidopen.realtime.fanout import FanoutManager
from bidopen.realtime.frames import EventBatch
from bidopen.realtime.limits import PublicLimits
from bidopen.realtime.namespaces import (
    BidderNamespace,
    HostNamespace,
    PublicNamespace,
    SocketDeps,
)
from bidopen.realtime.nodes import FanoutRedisManager
from bidopen.realtime.origins import origin_checker
from bidopen.realtime.transport import TransportLimits
from bidopen.service.accounts import Accounts
from bidopen.service.host_scope import HostScope
from bidopen.service.opening import Opening
from bidopen.service.views import BIDDER, HOST, PUBLIC, event_message
from bidopen.session.hall import bid_numbers
from bidopen.session.state import OpeningSession
from bidopen.store.eventlog import StoredEvent

log = logging.getLogger("bidopen.realtime")

NAMESPACES = {HOST: "/host", BIDDER: "/bidder", PUBLIC: "/public"}
_ROLES = {namespace: role for role, namespace in NAMESPACES.items()}

# A client that does not take its close frame in this time is dropped with the process.
CLOSE_SECONDS = 1.0


class RealtimeHub:
    """Owns the AsyncServer; `publish` is the service layer's doorbell after each commit.

    With a Redis URL the server's client manager is python-socketio's Redis manager, so an
    emit on one node reaches the sockets of every node; nothing else changes.
    """

    def __init__(
        self,
        config: Config,
        accounts: Accounts,
        host_scope: HostScope,
        opening: Opening,
        proxies: TrustedProxies,
        metrics: HubMetrics,
    ) -> None:
        # Both managers send public room events through the fast fan-out on each node.
        manager = (
            FanoutRedisManager(config.redis_url, channel=config.redis_channel)
            if config.redis_url
            else FanoutManager()
        )
        manager.metrics = metrics
        self._manager = manager
        self._opening = opening
        self._metrics = metrics
        if isinstance(manager, FanoutRedisManager):
            manager.on_resubscribed = self.catch_up_rooms
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            client_manager=manager,
            cors_allowed_origins=origin_checker(config.allowed_origins, proxies),
            max_http_buffer_size=config.socket_max_message_bytes,
            logger=False,
            engineio_logger=False,
        )
        self.connected: dict[str, set[str]] = {ns: set() for ns in NAMESPACES.values()}
        self.transport = TransportLimits(
            proxies,
            sessions_per_address=config.max_socket_sessions_per_address,
            namespace_failures_per_minute=config.namespace_failures_per_minute,
        )
        self.transport.install(self.sio)
        deps = SocketDeps(
            accounts=accounts,
            host_scope=host_scope,
            opening=opening,
            connected=self.connected,
            limits=PublicLimits(
                max_connections_per_ip=config.public_max_connections_per_ip,
                messages_per_minute=config.public_messages_per_minute,
            ),
            public_max_message_bytes=config.public_max_message_bytes,
            transport=self.transport,
        )
        self.sio.register_namespace(HostNamespace(NAMESPACES[HOST], deps))
        self.sio.register_namespace(BidderNamespace(NAMESPACES[BIDDER], deps))
        self.sio.register_namespace(PublicNamespace(NAMESPACES[PUBLIC], deps))
        metrics.count_clients(lambda: {ns: len(sids) for ns, sids in self.connected.items()})

    def start(self) -> None:
        """Start the manager's background task (with Redis: its subscription) now."""
        if not self.sio.manager_initialized:
            self.sio.manager_initialized = True
            self.sio.manager.initialize()

    def on_remote_commit(self, listener: Callable[[str], None]) -> None:
        """Call `listener(session_id)` when another node commits to a session (needs Redis)."""
        if isinstance(self._manager, FanoutRedisManager):
            self._manager.on_remote_event = listener

    async def fanout_check(self) -> str:
        """The readiness check of the doorbell between nodes (`bidopen.health`)."""
        manager = self._manager
        if not isinstance(manager, FanoutRedisManager):
            return "not configured (one node)"
        if manager.degraded:
            raise NotReady("Redis unreachable: fan-out degraded to this node's sockets")
        try:
            if manager.redis is None:
                manager._redis_connect()
            await manager.redis.ping()
        except Exception as exc:
            raise NotReady(f"Redis unreachable ({type(exc).__name__})") from None
        return "reachable"

    async def catch_up_rooms(self) -> None:
        """Write to this node's rooms every event of the log they have not been sent.

        Called when Redis is reachable again: events committed by other nodes while it was
        down reached nobody here. Runs at once and reads each room's events in pages;
        `RoomHeads` keeps an event that also arrives through Redis from going out twice.
        """
        heads = self._manager.room_heads
        rooms = self.sio.manager.rooms
        delivered = 0
        for namespace, session_id in heads.rooms():
            role = _ROLES.get(namespace)
            if role is None or not rooms.get(namespace, {}).get(session_id):
                heads.forget(namespace, session_id)
                continue
            try:
                while True:
                    after = heads.floor(namespace, session_id) or 0
                    page = await self._opening.events(session_id, role, after)
                    if page["events"]:
                        batch = EventBatch(tuple(page["events"]))
                        await self._manager.emit_here("event", batch, namespace, session_id)
                        delivered += len(page["events"])
                    if not page["more"]:
                        break
            except Exception:
                log.exception("catching up room %s of %s failed", namespace, session_id)
        self._metrics.room_catch_ups.inc(delivered)
        log.warning("caught up this node's rooms: %d events written from the log", delivered)

    def attach(self, app: web.Application) -> None:
        self.sio.attach(app)

    async def publish(
        self, session_id: str, events: Sequence[StoredEvent], state: OpeningSession
    ) -> None:
        # The events of one commit go out as one batch per room: at the read-out that is
        # the decryption's end, the read-out and the confirmation window, written to each
        # client at once, so the read-out does not wait behind a pass over every viewer.
        # Rooms in order of who waits on whom: the bidders (hundreds, the parties), the
        # public (thousands), the host last (one console, whose messages are the largest).
        read_out_seq = state.read_out_seq
        numbers = bid_numbers(state)

        def batch(role: str) -> EventBatch:
            return EventBatch(
                tuple(
                    event_message(role, e, read_out_seq=read_out_seq, numbers=numbers)
                    for e in events
                )
            )

        await self.sio.emit("event", batch(BIDDER), room=session_id, namespace=NAMESPACES[BIDDER])
        await broadcast_public(self.sio, session_id, batch(PUBLIC))
        await self.sio.emit("event", batch(HOST), room=session_id, namespace=NAMESPACES[HOST])

    async def disconnect_all(self) -> None:
        """Close every connection of this node at once, as the process stops.

        Each transport is closed without a goodbye: clients take Engine.IO's close packet,
        or a Socket.IO disconnect, as the server ending the session for good (the Python
        client then stops), while a connection that drops is one they reconnect from, at
        once, showing that they are reconnecting (to another node, or to this one when it
        is back). Until the connections end, the web server would wait for their handlers.
        """
        sockets = list(self.sio.eio.sockets.values())
        if not sockets:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_SECONDS):
                for socket in sockets:
                    # The disconnect handlers run (seats, presence); no close packet is sent.
                    await socket.close(wait=False, abort=True)
        for socket in sockets:
            # The end-of-queue mark makes Engine.IO's writer close the WebSocket now; it
            # would otherwise wait for a next packet up to a ping timeout (45 s).
            socket.queue.put_nowait(None)
        log.info("closed %d connections for the stop", len(sockets))

    async def close(self) -> None:
        """Stop the server's background tasks (after `disconnect_all`)."""
        await self.sio.shutdown()
