"""One cheap public viewer: a raw asyncio protocol speaking WebSocket, Engine.IO and Socket.IO."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bidopen.simulate import socketio_wire as wire
from bidopen.simulate.websocket import (
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Deflate,
    FrameDecoder,
    Inflater,
    Message,
    UpgradeResponse,
    WebSocketProtocolError,
    encode_frame,
    make_handshake,
)

# Of a compressed event, this much is inflated on arrival to read its head (namespace, name,
# kind); the hub's messages name their kind within the first hundred bytes.
_HEAD_BYTES = 256
# The heads of the messages this process has read: a broadcast reaches every viewer of a
# worker as the same bytes (the decoder hands them the same objects, whose hash Python
# keeps), and reading the same head for each would cost them more than the hub's write
# (pure functions, memoised).  Compressed ones by window and bytes; plain ones by the
# names the viewers look for and bytes, with `_SKIPPED` for events naming none of them.
_COMPRESSED_HEADS: dict[tuple[int, bytes], wire.EventHead | None] = {}
_PLAIN_HEADS: dict[tuple[tuple[bytes, ...], bytes], wire.EventHead | None] = {}
_HEADS_KEPT = 64
# Markers, compared by identity: no event has an empty namespace.
_SKIPPED = wire.EventHead("", "skipped", None)
_UNKNOWN = wire.EventHead("", "unknown", None)


@dataclass(frozen=True)
class ViewerPlan:
    """What every viewer of a run does: where it connects, when it is seated, what it watches.

    `watch` names socket events, or `event/<kind>` for the hub's `event` messages of one kind.
    """

    host: str
    port: int
    path: str
    origin: str
    namespace: str
    connect_auth: dict[str, Any] | None
    ready_event: str | None
    watch: frozenset[str]
    # Offer permessage-deflate, as browsers do.
    deflate: bool = True

    @functools.cached_property
    def needles(self) -> tuple[bytes, ...]:
        """Quoted names of which an event packet must contain one to be worth a look."""
        names = {key.partition("/")[2] or key for key in self.watch}
        if self.ready_event is not None:
            names.add(self.ready_event)
        return tuple(json.dumps(name).encode("ascii") for name in sorted(names))

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "path": self.path,
            "origin": self.origin,
            "namespace": self.namespace,
            "connect_auth": self.connect_auth,
            "ready_event": self.ready_event,
            "watch": sorted(self.watch),
            "deflate": self.deflate,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ViewerPlan:
        return cls(
            host=str(data["host"]),
            port=int(data["port"]),
            path=str(data["path"]),
            origin=str(data["origin"]),
            namespace=str(data["namespace"]),
            connect_auth=data["connect_auth"],
            ready_event=data["ready_event"],
            watch=frozenset(data["watch"]),
            deflate=bool(data.get("deflate", True)),
        )


def watch_key(head: wire.EventHead) -> str:
    """`event/<kind>` for the hub's log messages, the bare event name for anything else."""
    if head.name == "event" and head.kind is not None:
        return f"event/{head.kind}"
    return head.name


# What a viewer tells its owner changed: one of these, or the name of a watched event it saw.
JOINED = "\x00joined"
FAILED = "\x00failed"


@dataclass(frozen=True)
class Sighting:
    """The first time one viewer saw one watched event, and a digest of what it saw.

    A compressed event is kept compressed (`deflated`, `digest` None) and inflated when the
    run is scored: the viewer holds it once its last byte has arrived, and 5,000 simulated
    viewers inflating 40 KB each on the hub's two cores would measure the simulation (a real
    viewer inflates on its own machine, in about 40 microseconds).
    """

    event: str
    received_ns: int
    digest: str | None
    deflated: bytes = b""
    window_bits: int = 15

    def content_digest(self) -> str:
        """The digest of the packet as sent, inflating it first if it was kept compressed."""
        if self.digest is not None:
            return self.digest
        return packet_digest(Deflate(True, self.window_bits).inflater().inflate(self.deflated))


def decoded_head(packet: bytes) -> wire.EventHead | None:
    """The slow way, for a log message whose members come in another order than the hub's."""
    decoded = wire.decode(packet.decode("utf-8"))
    if not isinstance(decoded, wire.SocketPacket) or not isinstance(decoded.data, list):
        return None
    body = decoded.data[1] if len(decoded.data) > 1 else None
    kind = body.get("kind") if isinstance(body, dict) else None
    return wire.EventHead(decoded.namespace, str(decoded.data[0]), kind)


def packet_digest(packet: bytes) -> str:
    """Viewers that received the same bytes report the same digest."""
    return hashlib.sha256(packet).hexdigest()[:16]


@dataclass
class ViewerState:
    """What a viewer learnt; read by its worker when the run ends."""

    joined: bool = False
    error: str | None = None
    sightings: dict[str, Sighting] = field(default_factory=dict)


# One receive buffer for every viewer of a process. asyncio's plain `recv(256 KiB)` allocates
# (and maps) a fresh 256 KiB object per read, which cost ten times our own work per message;
# `recv_into` a shared buffer does not. Sharing is safe: the loop calls get_buffer, recv_into
# and buffer_updated back to back, in one thread.
_RECEIVE_BUFFER = memoryview(bytearray(256 * 1024))


class CheapViewer(asyncio.BufferedProtocol):
    """A read-only socket.io client whose whole life runs in protocol callbacks (no task)."""

    def __init__(
        self, plan: ViewerPlan, state: ViewerState, on_change: Callable[[str], None]
    ) -> None:
        self._plan = plan
        self._state = state
        self._on_change = on_change
        self._transport: asyncio.Transport | None = None
        self._handshake = make_handshake(
            f"{plan.host}:{plan.port}", plan.path, plan.origin, deflate=plan.deflate
        )
        self._upgrade = UpgradeResponse(self._handshake)
        self._decoder = FrameDecoder()
        self._inflater: Inflater | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._handshake.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if not self._state.joined and self._state.error is None:
            self._fail(f"connection lost before joining: {exc}")

    def get_buffer(self, sizehint: int) -> memoryview:
        return _RECEIVE_BUFFER

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(_RECEIVE_BUFFER[:nbytes]))

    def data_received(self, data: bytes) -> None:
        # Stamped on arrival, before any work of ours, so a crowd measures the hub.
        received_ns = time.time_ns()
        try:
            if not self._upgrade.complete:
                data = self._upgrade.feed(data)
                if not self._upgrade.complete:
                    return
                if self._upgrade.deflate is not None:
                    self._inflater = self._upgrade.deflate.inflater()
                    self._decoder.deflate = True
            for message in self._decoder.feed(data):
                if message.compressed:
                    self._on_compressed(message, received_ns)
                else:
                    self._on_message(message.opcode, message.payload, received_ns)
        except (WebSocketProtocolError, wire.SocketIOWireError, UnicodeDecodeError) as error:
            self._fail(str(error))
            self.close()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _send(self, text: str) -> None:
        if self._transport is not None:
            self._transport.write(encode_frame(OP_TEXT, text.encode("utf-8")))

    def _on_compressed(self, message: Message, received_ns: int) -> None:
        inflater = self._inflater
        assert inflater is not None  # the decoder flags nothing before deflate is agreed
        if message.opcode == OP_TEXT and inflater.independent:
            # Only the head is inflated now; the whole is kept for scoring (see Sighting).
            head = _compressed_head(inflater, message.payload)
            if head is not None and head.kind is not None:
                if head.namespace == self._plan.namespace:
                    self._on_event(head, message.payload, received_ns, inflater.window_bits)
                return
        self._on_message(message.opcode, inflater.inflate(message.payload), received_ns)

    def _on_message(self, opcode: int, payload: bytes, received_ns: int) -> None:
        if opcode == OP_TEXT:
            # Thousands of viewers share a few CPUs with the hub: events are recognised by
            # their head and never decoded whole.
            if payload.startswith(b"42"):
                key = (self._plan.needles, payload)
                head = _PLAIN_HEADS.get(key, _UNKNOWN)
                if head is _UNKNOWN:
                    head = _plain_head(self._plan.needles, payload)
                    if len(_PLAIN_HEADS) >= _HEADS_KEPT:
                        _PLAIN_HEADS.clear()
                    _PLAIN_HEADS[key] = head
                if head is _SKIPPED:
                    return
            else:
                head = None
            if head is not None:
                if head.namespace == self._plan.namespace:
                    self._on_event(head, payload, received_ns)
                return
            self._on_packet(wire.decode(payload.decode("utf-8")))
        elif opcode == OP_PING and self._transport is not None:
            self._transport.write(encode_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self.close()

    def _on_packet(self, packet: wire.EnginePacket | wire.SocketPacket) -> None:
        plan = self._plan
        if isinstance(packet, wire.EnginePacket):
            if packet.kind == wire.ENGINE_OPEN:
                self._send(wire.encode_connect(plan.namespace, plan.connect_auth))
            elif packet.kind == wire.ENGINE_PING:
                self._send(wire.ENGINE_PONG)
            elif packet.kind == wire.ENGINE_CLOSE:
                self.close()
            return
        if packet.namespace != plan.namespace:
            return
        if packet.kind == wire.SIO_CONNECT:
            if plan.ready_event is None:
                self._joined()
        elif packet.kind == wire.SIO_CONNECT_ERROR:
            self._fail(f"namespace refused: {packet.data}")
            self.close()
        elif packet.kind == wire.SIO_DISCONNECT:
            self.close()

    def _on_event(
        self, head: wire.EventHead, packet: bytes, received_ns: int, deflated_bits: int = 0
    ) -> None:
        """`deflated_bits`: the packet is still compressed with this window (0: it is not)."""
        if not self._state.joined and head.name == self._plan.ready_event:
            self._joined()
        key = watch_key(head)
        if key in self._plan.watch and key not in self._state.sightings:
            if deflated_bits:
                sighting = Sighting(key, received_ns, None, packet, deflated_bits)
            else:
                sighting = Sighting(key, received_ns, packet_digest(packet))
            self._state.sightings[key] = sighting
            self._on_change(key)

    def _joined(self) -> None:
        self._state.joined = True
        self._on_change(JOINED)

    def _fail(self, reason: str) -> None:
        if self._state.error is None:
            self._state.error = reason
            self._on_change(FAILED)


def _plain_head(needles: tuple[bytes, ...], packet: bytes) -> wire.EventHead | None:
    """The head of an event packet; `_SKIPPED` if it names nothing the viewers wait for."""
    # Most events name nothing we wait for: one substring test each skips them.
    if not any(needle in packet for needle in needles):
        return _SKIPPED
    head = wire.peek_event(packet)
    if head is not None and head.name == "event" and head.kind is None:
        head = decoded_head(packet)
    return head


def _compressed_head(inflater: Inflater, payload: bytes) -> wire.EventHead | None:
    """The event head of an independently compressed message, or None if it is no event."""
    key = (inflater.window_bits, payload)
    if key in _COMPRESSED_HEADS:
        return _COMPRESSED_HEADS[key]
    prefix = inflater.head(payload, _HEAD_BYTES)
    head = wire.peek_event(prefix) if len(prefix) == _HEAD_BYTES else None
    if len(_COMPRESSED_HEADS) >= _HEADS_KEPT:
        _COMPRESSED_HEADS.clear()
    _COMPRESSED_HEADS[key] = head
    return head
