"""The Socket.IO server of the hub: one room per session in each namespace, and its fan-out."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import socketio
from aiohttp import web

from bidopen.config import Config
from bidopen.realtime.broadcast import broadcast_public
from bidopen.realtime.fanout import FanoutManager, FanoutRedisManager
from bidopen.realtime.frames import EventBatch
from bidopen.realtime.limits import PublicLimits
from bidopen.realtime.namespaces import (
    BidderNamespace,
    HostNamespace,
    PublicNamespace,
    SocketDeps,
)
from bidopen.realtime.origins import origin_checker
from bidopen.service.accounts import Accounts
from bidopen.service.host_scope import HostScope
from bidopen.service.opening import Opening
from bidopen.service.views import BIDDER, HOST, PUBLIC, event_message
from bidopen.session.state import OpeningSession
from bidopen.store.eventlog import StoredEvent

log = logging.getLogger("bidopen.realtime")

NAMESPACES = {HOST: "/host", BIDDER: "/bidder", PUBLIC: "/public"}


class RealtimeHub:
    """Owns the AsyncServer; `publish` is the service layer's doorbell after each commit.

    With a Redis URL the server's client manager is python-socketio's Redis manager, so an
    emit on one node reaches the sockets of every node; nothing else changes.
    """

    def __init__(
        self, config: Config, accounts: Accounts, host_scope: HostScope, opening: Opening
    ) -> None:
        # Both managers send public room events through the fast fan-out on each node.
        manager = (
            FanoutRedisManager(config.redis_url, channel=config.redis_channel)
            if config.redis_url
            else FanoutManager()
        )
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            client_manager=manager,
            cors_allowed_origins=origin_checker(config.allowed_origins),
            max_http_buffer_size=config.socket_max_message_bytes,
            logger=False,
            engineio_logger=False,
        )
        self.connected: dict[str, set[str]] = {ns: set() for ns in NAMESPACES.values()}
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
        )
        self.sio.register_namespace(HostNamespace(NAMESPACES[HOST], deps))
        self.sio.register_namespace(BidderNamespace(NAMESPACES[BIDDER], deps))
        self.sio.register_namespace(PublicNamespace(NAMESPACES[PUBLIC], deps))

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

        def batch(role: str) -> EventBatch:
            return EventBatch(
                tuple(event_message(role, e, read_out_seq=read_out_seq) for e in events)
            )

        await self.sio.emit("event", batch(BIDDER), room=session_id, namespace=NAMESPACES[BIDDER])
        await broadcast_public(self.sio, session_id, batch(PUBLIC))
        await self.sio.emit("event", batch(HOST), room=session_id, namespace=NAMESPACES[HOST])

    async def close(self) -> None:
        """Disconnect every socket this node holds, then stop the server's background tasks."""
        for namespace, sids in self.connected.items():
            for sid in list(sids):
                try:
                    await self.sio.disconnect(sid, namespace=namespace)
                except Exception:
                    log.debug("socket %s already gone", sid)
        await self.sio.shutdown()
