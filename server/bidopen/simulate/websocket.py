"""A minimal RFC 6455 client codec, so that thousands of simulated viewers stay cheap."""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import zlib
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

# What Chromium offers: permessage-deflate, leaving the server's window and context to it.
DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"
# RFC 7692 section 7.2.2: the receiver appends what the sender's sync flush ended with.
_FLUSH_TAIL = b"\x00\x00\xff\xff"
_RSV1, _RSV23 = 0x40, 0x30


class WebSocketProtocolError(Exception):
    """The server broke the WebSocket protocol (bad handshake, bad frame)."""


@dataclass(frozen=True)
class Handshake:
    """The opening HTTP request of one connection and the accept value it expects."""

    request: bytes
    expected_accept: str
    offers_deflate: bool = False


@dataclass(frozen=True)
class Deflate:
    """The permessage-deflate the server accepted (RFC 7692), for inflating its messages."""

    server_no_context_takeover: bool = False
    server_max_window_bits: int = 15

    def inflater(self) -> Inflater:
        return Inflater(self)


def make_handshake(host: str, path: str, origin: str, *, deflate: bool = False) -> Handshake:
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    extensions = f"Sec-WebSocket-Extensions: {DEFLATE_OFFER}\r\n" if deflate else ""
    request = (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"{extensions}"
        f"Origin: {origin}\r\n"
        "\r\n"
    ).encode("ascii")
    accept = base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")
    return Handshake(request=request, expected_accept=accept, offers_deflate=deflate)


def check_handshake_response(
    head: bytes, expected_accept: str, *, offered_deflate: bool = False
) -> Deflate | None:
    """Raise unless `head` (status line and headers) accepts the upgrade.

    Returns the permessage-deflate the server accepted, or None; an extension the client
    did not offer fails the connection (RFC 6455 section 4.1).
    """
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
    extensions = headers.get("sec-websocket-extensions", "")
    if not extensions:
        return None
    if not offered_deflate:
        raise WebSocketProtocolError(f"server chose an extension nobody offered: {extensions!r}")
    return parse_deflate_response(extensions)


def parse_deflate_response(value: str) -> Deflate:
    """The server's `Sec-WebSocket-Extensions` answer to `DEFLATE_OFFER`."""
    name, *parameters = (part.strip() for part in value.split(";"))
    if name != "permessage-deflate" or "," in value:
        raise WebSocketProtocolError(f"server chose an extension nobody offered: {value!r}")
    no_takeover, window_bits = False, 15
    for parameter in parameters:
        key, _, argument = parameter.partition("=")
        key = key.strip()
        if key == "server_no_context_takeover" and not argument:
            no_takeover = True
        elif key == "server_max_window_bits" and argument.strip().isdigit():
            window_bits = int(argument)
            if not 8 <= window_bits <= 15:
                raise WebSocketProtocolError(f"server window of {window_bits} bits")
        elif key in ("client_no_context_takeover", "client_max_window_bits"):
            pass  # this client never compresses what it sends
        else:
            raise WebSocketProtocolError(f"unknown permessage-deflate parameter {parameter!r}")
    # zlib cannot inflate with an 8-bit window; 9 reads every 8-bit stream.
    return Deflate(no_takeover, max(window_bits, 9))


class Inflater:
    """Inflates one connection's compressed messages, with or without the server's context."""

    def __init__(self, deflate: Deflate) -> None:
        self.deflate = deflate
        self._stream: zlib._Decompress | None = None

    @property
    def independent(self) -> bool:
        """Each message inflates on its own (the server keeps no context between them)."""
        return self.deflate.server_no_context_takeover

    @property
    def window_bits(self) -> int:
        return self.deflate.server_max_window_bits

    def head(self, payload: bytes, size: int) -> bytes:
        """The first `size` bytes of an independent message, without inflating the rest."""
        if not self.independent:
            raise ValueError("with context takeover every message must be inflated whole")
        try:
            return zlib.decompressobj(-self.window_bits).decompress(payload + _FLUSH_TAIL, size)
        except zlib.error as error:
            raise WebSocketProtocolError(f"compressed message does not inflate: {error}") from None

    def inflate(self, payload: bytes) -> bytes:
        stream = self._stream
        if stream is None or self.deflate.server_no_context_takeover:
            stream = zlib.decompressobj(-self.deflate.server_max_window_bits)
            self._stream = stream
        try:
            data = stream.decompress(payload + _FLUSH_TAIL, MAX_MESSAGE + 1)
        except zlib.error as error:
            raise WebSocketProtocolError(f"compressed message does not inflate: {error}") from None
        if len(data) > MAX_MESSAGE or stream.unconsumed_tail:
            raise WebSocketProtocolError("compressed message inflates beyond the size limit")
        return data


class UpgradeResponse:
    """Collects the server's answer to the handshake and hands back what follows it."""

    MAX_HEAD = 16384

    def __init__(self, handshake: Handshake) -> None:
        self._handshake = handshake
        self._head = bytearray()
        self.complete = False
        # What the server accepted of a permessage-deflate offer, once complete.
        self.deflate: Deflate | None = None

    def feed(self, data: bytes) -> bytes:
        """The bytes after the response once it is whole and accepts the upgrade; b"" before."""
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head) > self.MAX_HEAD:
                raise WebSocketProtocolError("upgrade response head is too long")
            return b""
        self.deflate = check_handshake_response(
            bytes(self._head[:end]),
            self._handshake.expected_accept,
            offered_deflate=self._handshake.offers_deflate,
        )
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
    """A whole message (continuation frames joined) or a control frame.

    `compressed`: the payload is still deflated (RSV1 was set on its first frame).
    """

    opcode: int
    payload: bytes
    compressed: bool = False


# The last whole feed of at least this many bytes that left a decoder with nothing pending,
# and the messages it held, per decoder kind (with or without deflate).  A pure function of
# the bytes, shared by every decoder of the process: the bytes are compared in full (one
# memcmp), and the messages are immutable.  Viewers that received the same broadcast then
# share its payloads too, instead of holding a copy each.
_SHARED_FEED_BYTES = 64
_WHOLE_FEEDS: dict[bool, tuple[bytes, tuple[Message, ...]]] = {}


class FrameDecoder:
    """Push parser for the server's (unmasked) frames: `feed` bytes, get whole messages.

    With `deflate` (negotiated) a data message may arrive compressed; it is handed back
    still compressed, flagged, so that the caller decides when to inflate it.
    """

    def __init__(self, *, deflate: bool = False) -> None:
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0
        self._fragment_compressed = False
        self.deflate = deflate

    def feed(self, data: bytes) -> list[Message]:
        clean = not self._buffer and not self._fragments
        if clean:
            # A broadcast reaches every viewer of a process as the same bytes: parsed once.
            known = _WHOLE_FEEDS.get(self.deflate)
            if known is not None and known[0] == data:
                return list(known[1])
        messages = self._parse(data)
        if clean and len(data) >= _SHARED_FEED_BYTES and not self._buffer and not self._fragments:
            _WHOLE_FEEDS[self.deflate] = (data, tuple(messages))
        return messages

    def _parse(self, data: bytes) -> list[Message]:
        # Frames are read where they lie; only an incomplete tail is kept for the next feed.
        if self._buffer:
            self._buffer += data
            data = bytes(self._buffer)
            self._buffer.clear()
        messages: list[Message] = []
        position = 0
        while True:
            frame = self._frame_at(data, position)
            if frame is None:
                if position < len(data):
                    self._buffer += data[position:]
                return messages
            fin, opcode, compressed, payload, position = frame
            if compressed and (opcode == OP_CONTINUATION or opcode >= OP_CLOSE):
                raise WebSocketProtocolError("RSV1 set on a continuation or control frame")
            if opcode >= OP_CLOSE:
                messages.append(Message(opcode, payload))
            elif opcode == OP_CONTINUATION:
                if not self._fragments:
                    raise WebSocketProtocolError("continuation frame without a first frame")
                self._fragments.append(payload)
                if fin:
                    messages.append(
                        Message(
                            self._fragment_opcode,
                            b"".join(self._fragments),
                            self._fragment_compressed,
                        )
                    )
                    self._fragments = []
            elif fin:
                messages.append(Message(opcode, payload, compressed))
            else:
                self._fragment_opcode = opcode
                self._fragment_compressed = compressed
                self._fragments = [payload]

    def _frame_at(self, buffer: bytes, start: int) -> tuple[bool, int, bool, bytes, int] | None:
        """The frame beginning at `start` and the position after it; None if incomplete."""
        if len(buffer) - start < 2:
            return None
        first, second = buffer[start], buffer[start + 1]
        if second & 0x80:
            raise WebSocketProtocolError("server frames must not be masked")
        if first & _RSV23 or (first & _RSV1 and not self.deflate):
            raise WebSocketProtocolError("reserved bits set that no extension defines")
        length = second & 0x7F
        offset = start + 2
        if length == 126:
            if len(buffer) < start + 4:
                return None
            (length,) = struct.unpack_from("!H", buffer, start + 2)
            offset = start + 4
        elif length == 127:
            if len(buffer) < start + 10:
                return None
            (length,) = struct.unpack_from("!Q", buffer, start + 2)
            offset = start + 10
        if length > MAX_MESSAGE:
            raise WebSocketProtocolError(f"frame of {length} bytes is too large")
        end = offset + length
        if len(buffer) < end:
            return None
        payload = buffer[offset:end]
        return bool(first & 0x80), first & 0x0F, bool(first & _RSV1), payload, end
