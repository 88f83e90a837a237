"""A minimal RFC 6455 client codec, so that thousands of simulated viewers stay cheap."""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

# A public read-out is a few kilobytes; anything far larger is a broken or hostile server.
MAX_MESSAGE = 16 * 1024 * 1024


class WebSocketProtocolError(Exception):
    """The server broke the WebSocket protocol (bad handshake, bad frame)."""


@dataclass(frozen=True)
class Handshake:
    """The opening HTTP request of one connection and the accept value it expects."""

    request: bytes
    expected_accept: str


def make_handshake(host: str, path: str, origin: str) -> Handshake:
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    request = (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n"
        "\r\n"
    ).encode("ascii")
    accept = base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")
    return Handshake(request=request, expected_accept=accept)


def check_handshake_response(head: bytes, expected_accept: str) -> None:
    """Raise unless `head` (status line and headers) accepts the upgrade."""
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or status[1] != "101":
        raise WebSocketProtocolError(f"upgrade refused: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("sec-websocket-accept") != expected_accept:
        raise WebSocketProtocolError("upgrade answered with a wrong Sec-WebSocket-Accept")


class UpgradeResponse:
    """Collects the server's answer to the handshake and hands back what follows it."""

    MAX_HEAD = 16384

    def __init__(self, handshake: Handshake) -> None:
        self._expected_accept = handshake.expected_accept
        self._head = bytearray()
        self.complete = False

    def feed(self, data: bytes) -> bytes:
        """The bytes after the response once it is whole and accepts the upgrade; b"" before."""
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head) > self.MAX_HEAD:
                raise WebSocketProtocolError("upgrade response head is too long")
            return b""
        check_handshake_response(bytes(self._head[:end]), self._expected_accept)
        rest = bytes(self._head[end + 4 :])
        self._head = bytearray()
        self.complete = True
        return rest


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame (clients must mask, RFC 6455 §5.3)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    return head + mask + _apply_mask(payload, mask)


def _apply_mask(payload: bytes, mask: bytes) -> bytes:
    if not payload:
        return payload
    # XOR as one big integer: far faster in CPython than a byte loop.
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return masked.to_bytes(len(payload), "big")


@dataclass(frozen=True)
class Message:
    """A whole message (continuation frames joined) or a control frame."""

    opcode: int
    payload: bytes


class FrameDecoder:
    """Push parser for the server's (unmasked) frames: `feed` bytes, get whole messages."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages: list[Message] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                return messages
            fin, opcode, payload = frame
            if opcode >= OP_CLOSE:
                messages.append(Message(opcode, payload))
            elif opcode == OP_CONTINUATION:
                if not self._fragments:
                    raise WebSocketProtocolError("continuation frame without a first frame")
                self._fragments.append(payload)
                if fin:
                    messages.append(Message(self._fragment_opcode, b"".join(self._fragments)))
                    self._fragments = []
            elif fin:
                messages.append(Message(opcode, payload))
            else:
                self._fragment_opcode = opcode
                self._fragments = [payload]

    def _next_frame(self) -> tuple[bool, int, bytes] | None:
        buffer = self._buffer
        if len(buffer) < 2:
            return None
        first, second = buffer[0], buffer[1]
        if second & 0x80:
            raise WebSocketProtocolError("server frames must not be masked")
        length = second & 0x7F
        offset = 2
        if length == 126:
            if len(buffer) < 4:
                return None
            (length,) = struct.unpack_from("!H", buffer, 2)
            offset = 4
        elif length == 127:
            if len(buffer) < 10:
                return None
            (length,) = struct.unpack_from("!Q", buffer, 2)
            offset = 10
        if length > MAX_MESSAGE:
            raise WebSocketProtocolError(f"frame of {length} bytes is too large")
        end = offset + length
        if len(buffer) < end:
            return None
        payload = bytes(buffer[offset:end])
        del buffer[:end]
        return bool(first & 0x80), first & 0x0F, payload
