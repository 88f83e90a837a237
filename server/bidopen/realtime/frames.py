"""The bytes of a broadcast: socket.io event packets and the websocket frames that carry them."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from bidopen.realtime.deflate import BEST_LEVEL, MIN_DEFLATE_BYTES, deflate_message

# Engine.IO v4 "message" (4) carrying a Socket.IO v5 "event" (2).
_EVENT_MESSAGE = "42"
_FIN_TEXT = 0x81
# RSV1 marks a compressed message when permessage-deflate was negotiated (RFC 7692 §6).
_RSV1 = 0x40


def encode_event_message(namespace: str, event: str, payload: Any) -> str:
    """The Engine.IO text python-socketio sends for ``emit(event, payload, namespace=...)``.

    Byte-identical to python-socketio's default JSON packet: compact separators and
    ASCII escapes.  ``None`` means an event without arguments, as in python-socketio.
    Raises ``TypeError`` or ``ValueError`` for a payload that is not plain JSON
    (bytes would need a binary packet; NaN is not JSON).
    """
    if not namespace.startswith("/") or "," in namespace:
        raise ValueError(f"invalid socket.io namespace {namespace!r}")
    if not event:
        raise ValueError("the event name must not be empty")
    arguments = [event] if payload is None else [event, payload]
    prefix = "" if namespace == "/" else namespace + ","
    return _EVENT_MESSAGE + prefix + json.dumps(arguments, separators=(",", ":"), allow_nan=False)


def encode_text_frame(text: str) -> bytes:
    """One final, unmasked RFC 6455 text frame, as a server sends it (section 5.2)."""
    return _frame(_FIN_TEXT, text.encode("utf-8"))


def encode_deflated_text_frame(text: str, window_bits: int, level: int = BEST_LEVEL) -> bytes:
    """The same message compressed on its own (RFC 7692), for a connection that negotiated
    permessage-deflate with `server_no_context_takeover` and this window."""
    return _frame(_FIN_TEXT | _RSV1, deflate_message(text.encode("utf-8"), window_bits, level))


def _frame(first_byte: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", first_byte, length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", first_byte, 126, length)
    else:
        head = struct.pack("!BBQ", first_byte, 127, length)
    return head + payload


@dataclass(frozen=True)
class EventBatch:
    """Payloads of one event name that go out together, in order, as separate packets.

    Emitted as the `data` of one `sio.emit`: the fan-out writes all of their frames to a
    websocket at once (one system call per client instead of one per event), and with
    Redis the batch crosses to the other nodes as one message.  The log events of one
    commit (at the read-out: the decryption's end, the read-out and the confirmation
    window) travel this way.
    """

    payloads: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.payloads:
            raise ValueError("an event batch needs at least one payload")


# How an EventBatch crosses Redis between nodes: a JSON object with this one member.
_BATCH_TAG = "\u0000event_batch"


class BatchJson:
    """The `json` of the Redis manager: plain JSON, with an EventBatch as a tagged object."""

    @staticmethod
    def dumps(data: Any) -> str:
        return json.dumps(data, default=_encode_batch)

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return json.loads(text, object_hook=_decode_batch)


def _encode_batch(value: object) -> object:
    if isinstance(value, EventBatch):
        return {_BATCH_TAG: list(value.payloads)}
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _decode_batch(members: dict[str, Any]) -> object:
    if len(members) == 1 and _BATCH_TAG in members:
        return EventBatch(tuple(members[_BATCH_TAG]))
    return members


class BroadcastFrames:
    """The frames of one broadcast of one or more messages, written to a client in one go.

    Plain for clients without permessage-deflate; for the others each message is
    compressed once per negotiated window, on first need, when it is large enough.
    """

    def __init__(self, messages: list[str], *, level: int = BEST_LEVEL) -> None:
        if not messages:
            raise ValueError("a broadcast needs at least one message")
        self.messages = messages
        self._plain = [encode_text_frame(message) for message in messages]
        self.plain = b"".join(self._plain)
        self._level = level
        self._joined: dict[int, bytes] = {}

    def for_window(self, window_bits: int) -> bytes:
        """The bytes for a connection whose permessage-deflate window is this (0: none)."""
        if not window_bits:
            return self.plain
        joined = self._joined.get(window_bits)
        if joined is None:
            joined = b"".join(
                self._deflated(message, plain, window_bits)
                for message, plain in zip(self.messages, self._plain, strict=True)
            )
            self._joined[window_bits] = joined
        return joined

    def _deflated(self, message: str, plain: bytes, window_bits: int) -> bytes:
        if len(plain) < MIN_DEFLATE_BYTES:
            return plain
        frame = encode_deflated_text_frame(message, window_bits, self._level)
        return frame if len(frame) < len(plain) else plain
