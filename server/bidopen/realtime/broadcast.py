"""The public fan-out: one function, so a faster path (one pre-encoded frame) can replace it."""

from __future__ import annotations

from typing import Any

import socketio

PUBLIC_NAMESPACE = "/public"


async def broadcast_public(
    sio: socketio.AsyncServer, session_id: str, message: dict[str, Any], *, event: str = "event"
) -> None:
    """Send one message to every public viewer of a session, on every node."""
    await sio.emit(event, message, room=session_id, namespace=PUBLIC_NAMESPACE)
