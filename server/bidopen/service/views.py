"""What each role receives of the log: hosts every event, bidders and the public fewer names."""

from __future__ import annotations

from typing import Any

from bidopen.session.events import current_payload
from bidopen.store.eventlog import StoredEvent

HOST = "host"
BIDDER = "bidder"
PUBLIC = "public"
ROLES = (HOST, BIDDER, PUBLIC)

# For bidders and the public, these kinds carry only the fields listed; the others are sent
# whole. The core's public view names no bidder before the read-out, and the events these
# roles receive keep to the same rule. Objections and answers are public text.
REDACTED: dict[str, tuple[str, ...]] = {
    "deadline_passed": ("at", "deadline", "counts", "quorum_warnings"),
    "bidder_signed_in": ("at",),
    "bid_decrypted": ("at", "lot"),
    # Every outcome reaches bidders and the public in the read-out a moment later (its
    # lines carry the status); sending them twice only doubles the broadcast's bytes.
    "decryption_closed": ("at", "by_host"),
    "decryption_failed": ("at", "lot"),
    "platform_fault_recorded": ("at", "reported_by"),
    "bidder_confirmed": ("at",),
    "objection_raised": ("at", "objection_id", "lot", "text"),
    "objection_answered": ("at", "objection_id", "text"),
}

# Fields that only the tender's hosts receive, whatever the phase: the account that
# scheduled the tender is a login name; everyone else sees the organisation.
WITHHELD: dict[str, tuple[str, ...]] = {
    "session_scheduled": ("host",),
}

# From the read-out on every bidder is named in public, so these kinds may name theirs too.
NAMED_AFTER_READ_OUT: dict[str, tuple[str, ...]] = {
    "objection_raised": ("bidder", "bidder_name"),
}


def event_message(role: str, event: StoredEvent, *, read_out_seq: int | None) -> dict[str, Any]:
    """The socket and catch-up form of one event: `{"seq", "kind", "data"}`.

    `read_out_seq` is the seq of the session's read-out (None before it): the redaction of an
    event depends on whether it came after the read-out.
    """
    data = current_payload(event.kind, event.payload)
    if role == HOST:
        return {"seq": event.seq, "kind": event.kind, "data": data}
    keep = REDACTED.get(event.kind)
    if keep is not None:
        if read_out_seq is not None and event.seq > read_out_seq:
            keep = keep + NAMED_AFTER_READ_OUT.get(event.kind, ())
        data = {name: data[name] for name in keep if name in data}
    withheld = WITHHELD.get(event.kind, ())
    if withheld:
        data = {name: value for name, value in data.items() if name not in withheld}
    return {"seq": event.seq, "kind": event.kind, "data": data}


def event_messages(
    role: str, events: list[StoredEvent], *, read_out_seq: int | None
) -> list[dict[str, Any]]:
    return [event_message(role, event, read_out_seq=read_out_seq) for event in events]
