"""The fan-out across nodes: python-socketio's Redis manager, each node writing to its own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import socketio
from socketio import packet as sio_packet

from bidopen.realtime import doorbell
from bidopen.realtime.fanout import FANOUT_NAMESPACES, FanoutLimits, FanoutManager
from bidopen.realtime.frames import BatchJson

log = logging.getLogger("bidopen.realtime")


class FanoutRedisManager(socketio.AsyncRedisManager, FanoutManager):  # type: ignore[misc]
    """python-socketio's Redis manager whose per-node delivery is ``FanoutManager``'s.

    An emit on any node is published to Redis as usual; each node, the sender included,
    then delivers it to its own sockets through ``AsyncManager.emit``, which this class
    places ``FanoutManager`` in front of (method order: Redis, pub/sub, fan-out, base).

    Redis is the doorbell between nodes, not the record: while it is unreachable the node
    says so once (`degraded`, the log, `/readyz`, `bidopen_fanout_degraded`), keeps
    serving its own sockets, and retries its subscription every `RESUBSCRIBE_SECONDS`
    (python-socketio's own retry doubles up to a minute). Once subscribed again it calls
    `on_resubscribed`, and the hub writes what its rooms missed from the log.

    An emit crosses Redis with its address ahead of its payload (`doorbell`): a node with
    no client in the room passes it over without decoding it, and a room emit is
    published before this node writes to its own sockets, so that the other nodes write
    to theirs at the same time.
    """

    def __init__(self, url: str, limits: FanoutLimits | None = None, **redis: Any) -> None:
        # Named explicitly: the type checker cannot see that the next class is Redis's.
        socketio.AsyncRedisManager.__init__(self, url, **redis)
        # The pub/sub managers initialise their bases without arguments; set ours after.
        self.fanout_limits = limits or FanoutLimits()
        self.degraded = False
        self.on_resubscribed: Callable[[], Coroutine[Any, Any, None]] | None = None
        self._catching_up: asyncio.Task[None] | None = None
        self.on_remote_event: Callable[[str], None] | None = None
        # Emits of other nodes to rooms without a client here, passed over undecoded.
        self.passed_over = 0

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        # Messages between nodes are JSON, and ours may carry an EventBatch.  Set here:
        # python-socketio's set_server replaces whatever json the constructor was given.
        self.json = BatchJson

    def _lost(self, what: str, exc: BaseException) -> None:
        if self.metrics is not None:
            self.metrics.redis_errors.inc()
            self.metrics.fanout_degraded.set(1)
        if not self.degraded:
            log.error(
                "Redis unreachable (%s: %s): fan-out degraded, events reach this node's "
                "sockets only until it returns",
                what,
                type(exc).__name__,
            )
        self.degraded = True
        self.connected = False

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        namespace = namespace or "/"
        arguments = list(data) if isinstance(data, tuple) else [data]
        if (
            kwargs.get("ignore_queue")
            or callback is not None
            or namespace not in FANOUT_NAMESPACES
            or sio_packet.Packet.data_is_binary(arguments)
        ):
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        # python-socketio's message (AsyncPubSubManager.emit), published before this node
        # writes to its own sockets: the other nodes then write to theirs meanwhile
        # instead of waiting for this node's whole pass.
        message = {
            "method": "emit",
            "event": event,
            "data": arguments,
            "binary": False,
            "namespace": namespace,
            "room": room,
            "skip_sid": skip_sid,
            "callback": None,
            "host_id": self.host_id,
        }
        await self._publish(message)
        await self._handle_emit(message)

    async def _publish(self, data: Any) -> Any:
        try:
            if not self.connected:
                self._redis_connect()
            return await self.redis.publish(self.channel, doorbell.encode(data, self.json))
        except Exception as exc:
            # The event is in the log; other nodes write it to their rooms when Redis is back.
            self._lost("publish", exc)
            return None

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        while True:
            try:
                self._redis_connect()
                await self.pubsub.subscribe(self.channel)
                if self.degraded:
                    self.degraded = False
                    if self.metrics is not None:
                        self.metrics.fanout_degraded.set(0)
                    log.warning("Redis reachable again: catching up this node's rooms")
                    if self.on_resubscribed is not None:
                        self._catching_up = asyncio.create_task(self.on_resubscribed())
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:
                self._lost("subscribe", exc)
                await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def _listen(self) -> AsyncIterator[Any]:
        async for raw in super()._listen():
            admitted = self._admit(raw)
            if admitted is not None:
                yield admitted

    def _admit(self, raw: Any) -> Any:
        """The message to handle, or None when this node has nothing to do with it.

        Only the address of an emit is read first: its payload is decoded only for a
        room with clients on this node.
        """
        try:
            found = doorbell.address(raw)
        except ValueError:
            return raw  # not ours to read: python-socketio's loop ignores what it cannot
        if found is None:
            return raw
        if found.get("host_id") == self.host_id:
            return None  # this node's own emit, already handled when it was sent
        namespace, room = found.get("namespace"), found.get("room")
        if namespace == "/host" and isinstance(room, str) and self.on_remote_event is not None:
            # Every commit of another node crosses as an emit to its host room: the
            # doorbell that tells this node's scheduler of a new or changed session at once.
            self.on_remote_event(room)
        if (
            isinstance(namespace, str)
            and isinstance(room, str)
            and not self.rooms.get(namespace, {}).get(room)
        ):
            # Nobody of this room here: neither decoded nor handled.
            self.room_heads.forget(namespace, room)
            self.passed_over += 1
            return None
        return doorbell.message(raw, found, self.json)


# How often a node retries its Redis subscription while Redis is down: the bound on how
# long its rooms wait for the catch-up once Redis is back (docs/operations.md).
RESUBSCRIBE_SECONDS = 1.0
