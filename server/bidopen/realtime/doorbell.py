"""How an emit crosses Redis between nodes: its address first, its payload after.

python-socketio publishes an emit as one JSON object, so every node decodes every event
of every session, read-outs of hundreds of bids included, before it can see that it has
no client in the room.  Here the address (method, namespace, room, sender…) is a short
JSON line ahead of the payload: a node reads the line, and decodes the payload only when
the room has clients on it.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

# Starts every emit published this way; no JSON text starts with it.
_MARK = "\u0000emit\n"
_MARK_BYTES = _MARK.encode()


class JsonCodec(Protocol):
    def dumps(self, data: Any) -> str: ...
    def loads(self, text: str | bytes) -> Any: ...


def encode(message: dict[str, Any], codec: JsonCodec) -> str:
    """An emit message as the address line followed by its payload; anything else as JSON."""
    if message.get("method") != "emit":
        return codec.dumps(message)
    address = {key: value for key, value in message.items() if key != "data"}
    return _MARK + json.dumps(address) + "\n" + codec.dumps(message.get("data"))


def address(raw: str | bytes) -> dict[str, Any] | None:
    """The address of an emit published by `encode`; None for any other message."""
    data = raw.encode() if isinstance(raw, str) else raw
    if not data.startswith(_MARK_BYTES):
        return None
    end = data.index(b"\n", len(_MARK_BYTES))
    found = json.loads(data[len(_MARK_BYTES) : end])
    if not isinstance(found, dict):
        raise ValueError("an emit's address must be a JSON object")
    return found


def message(raw: str | bytes, found: dict[str, Any], codec: JsonCodec) -> dict[str, Any]:
    """The whole emit message: `found` (its address) with its payload decoded."""
    data = raw.encode() if isinstance(raw, str) else raw
    end = data.index(b"\n", len(_MARK_BYTES))
    return {**found, "data": codec.loads(data[end + 1 :])}
