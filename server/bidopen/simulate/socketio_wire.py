"""Socket.IO v5 over Engine.IO v4 text packets, encoded and decoded by hand for cheap viewers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

ENGINE_OPEN = "0"
ENGINE_CLOSE = "1"
ENGINE_PING = "2"
ENGINE_PONG = "3"
ENGINE_MESSAGE = "4"

SIO_CONNECT = "0"
SIO_DISCONNECT = "1"
SIO_EVENT = "2"
SIO_ACK = "3"
SIO_CONNECT_ERROR = "4"


class SocketIOWireError(Exception):
    """A packet that is not valid Engine.IO v4 / Socket.IO v5 text."""


@dataclass(frozen=True)
class EnginePacket:
    """An Engine.IO packet other than a message: open, close, ping, pong or noop."""

    kind: str
    data: str


@dataclass(frozen=True)
class SocketPacket:
    """A Socket.IO packet carried in an Engine.IO message."""

    kind: str
    namespace: str
    ack_id: int | None
    data: Any


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _prefix(namespace: str) -> str:
    return "" if namespace == "/" else namespace + ","


def encode_connect(namespace: str, auth: dict[str, Any] | None = None) -> str:
    return (
        ENGINE_MESSAGE + SIO_CONNECT + _prefix(namespace) + ("" if auth is None else _dumps(auth))
    )


# The head of an event packet as the hub writes it: `42/ns,["name",{"seq":N,"kind":"k",...`.
_EVENT_HEAD = re.compile(
    rb'42(?:(/[^,\[]*),)?\d*\["((?:[^"\\]|\\.)*)"(?:,\{"seq":\d+,"kind":"((?:[^"\\]|\\.)*)")?'
)


@dataclass(frozen=True)
class EventHead:
    """Namespace, event name and (for the hub's log messages) kind, read without the payload."""

    namespace: str
    name: str
    kind: str | None


def peek_event(packet: bytes) -> EventHead | None:
    """Read the head of an event packet in O(head); None if it is not one.

    A read-out to thousands of viewers is tens of kilobytes each: decoding it all in every
    viewer would measure the simulation, not the hub.
    """
    match = _EVENT_HEAD.match(packet)
    if match is None:
        return None
    namespace, name, kind = match.groups()
    try:
        return EventHead(
            namespace=namespace.decode() if namespace else "/",
            name=_json_string(name),
            kind=None if kind is None else _json_string(kind),
        )
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _json_string(inner: bytes) -> str:
    # Names are plain words: printable ASCII without escapes is its own text.
    if _PLAIN_ASCII.fullmatch(inner):
        return inner.decode("ascii")
    decoded: str = json.loads(b'"' + inner + b'"')
    return decoded


_PLAIN_ASCII = re.compile(rb"[\x20\x21\x23-\x5b\x5d-\x7e]*")


def decode(text: str) -> EnginePacket | SocketPacket:
    if not text:
        raise SocketIOWireError("empty packet")
    kind = text[0]
    if kind != ENGINE_MESSAGE:
        if kind not in "012356":
            raise SocketIOWireError(f"unknown Engine.IO packet type {kind!r}")
        return EnginePacket(kind, text[1:])
    return _decode_socket(text[1:])


def _decode_socket(body: str) -> SocketPacket:
    if not body or body[0] not in "0123456":
        raise SocketIOWireError(f"unknown Socket.IO packet {body[:8]!r}")
    kind = body[0]
    rest = body[1:]
    if kind in "56":
        # Binary events need attachment frames; the hub's public messages are JSON only.
        raise SocketIOWireError("binary Socket.IO packets are not supported")
    namespace = "/"
    if rest.startswith("/"):
        namespace, comma, rest = rest.partition(",")
        if not comma:
            rest = ""
    digits = 0
    while digits < len(rest) and rest[digits].isdigit():
        digits += 1
    ack_id = int(rest[:digits]) if digits else None
    payload = rest[digits:]
    try:
        data = json.loads(payload) if payload else None
    except json.JSONDecodeError as error:
        raise SocketIOWireError(f"packet data is not JSON: {error}") from None
    return SocketPacket(kind, namespace, ack_id, data)
