"""What each role receives of the log: hosts every event, bidders and the public fewer names."""

from __future__ import annotations

from typing import Any

from bidopen.session.events import current_payload
from bidopen.session.hall import BidNumbers
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
    "decryption_failed": ("at", "lot", "attempt"),
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


# Events about one bidder's bids say, for bidders and the public, which rows of the opening
# hall they change (`bidopen.session.hall`): the row's number in its lot, never the bidder.
NUMBERED: dict[str, str] = {
    "bidder_signed_in": "bids",
    "platform_fault_recorded": "bids",
    "bid_decrypted": "number",
    "decryption_failed": "number",
}


def event_message(
    role: str,
    event: StoredEvent,
    *,
    read_out_seq: int | None,
    numbers: BidNumbers | None = None,
) -> dict[str, Any]:
    """The socket and catch-up form of one event: `{"seq", "kind", "data"}`.

    `read_out_seq` is the seq of the session's read-out (None before it): the redaction of an
    event depends on whether it came after the read-out. `numbers` (`bid_numbers` of the
    session) give the hall rows an event changes.
    """
    data = current_payload(event.kind, event.payload)
    if role == HOST:
        return {"seq": event.seq, "kind": event.kind, "data": data}
    keep = REDACTED.get(event.kind)
    if keep is not None:
        if read_out_seq is not None and event.seq > read_out_seq:
            keep = keep + NAMED_AFTER_READ_OUT.get(event.kind, ())
        shown = {name: data[name] for name in keep if name in data}
        if numbers is not None:
            shown.update(_rows_changed(event.kind, data, numbers))
        data = shown
    withheld = WITHHELD.get(event.kind, ())
    if withheld:
        data = {name: value for name, value in data.items() if name not in withheld}
    return {"seq": event.seq, "kind": event.kind, "data": data}


def _rows_changed(kind: str, data: dict[str, Any], numbers: BidNumbers) -> dict[str, Any]:
    """`{"bids": [{"lot", "number"}…]}` or `{"number"}` for an event about a bidder's bids."""
    member = NUMBERED.get(kind)
    bidder = data.get("bidder")
    if member is None or not isinstance(bidder, str) or bidder not in numbers:
        return {}  # a platform fault without a bidder concerns every row
    rows = numbers[bidder]
    if member == "bids":
        return {"bids": [{"lot": lot, "number": number} for lot, number in rows]}
    found = [number for lot, number in rows if lot == data.get("lot")]
    return {"number": found[0]} if found else {}


def event_messages(
    role: str,
    events: list[StoredEvent],
    *,
    read_out_seq: int | None,
    numbers: BidNumbers | None = None,
) -> list[dict[str, Any]]:
    return [
        event_message(role, event, read_out_seq=read_out_seq, numbers=numbers) for event in events
    ]
