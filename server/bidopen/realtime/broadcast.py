"""The public fan-out: one function; the hub's client manager makes its emit the fast path."""

from __future__ import annotations

from typing import Any

import socketio

from bidopen.realtime.frames import EventBatch

PUBLIC_NAMESPACE = "/public"


async def broadcast_public(
    sio: socketio.AsyncServer,
    session_id: str,
    message: dict[str, Any] | EventBatch,
    *,
    event: str = "event",
) -> None:
    """Send one message (or a batch, in order) to every public viewer of a session, on every
    node."""
    await sio.emit(event, message, room=session_id, namespace=PUBLIC_NAMESPACE)
