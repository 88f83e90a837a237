"""What each role receives of the log: hosts every event, bidders and the public fewer names."""

from __future__ import annotations

from typing import Any

from bidopen.store.eventlog import StoredEvent

HOST = "host"
BIDDER = "bidder"
PUBLIC = "public"
ROLES = (HOST, BIDDER, PUBLIC)

# For bidders and the public, these kinds carry only the fields listed; the others are sent
# whole. The core's public view names no bidder before the read-out and lists no
# objections at all, and the events these roles receive keep to the same rule.
REDACTED: dict[str, tuple[str, ...]] = {
    "deadline_passed": ("at", "deadline", "counts", "quorum_warnings"),
    "bidder_signed_in": ("at",),
    "bid_decrypted": ("at", "lot"),
    "decryption_failed": ("at", "lot"),
    "platform_fault_recorded": ("at", "reported_by"),
    "bidder_confirmed": ("at",),
    "objection_raised": ("at", "objection_id", "lot"),
    "objection_answered": ("at", "objection_id"),
}


def event_message(role: str, event: StoredEvent) -> dict[str, Any]:
    """The socket and catch-up form of one event: `{"seq", "kind", "data"}`."""
    data = event.payload
    keep = REDACTED.get(event.kind)
    if role != HOST and keep is not None:
        data = {name: data[name] for name in keep if name in data}
    return {"seq": event.seq, "kind": event.kind, "data": data}


def event_messages(role: str, events: list[StoredEvent]) -> list[dict[str, Any]]:
    return [event_message(role, event) for event in events]
