"""A session's whole log (`GET /api/sessions/{id}/log`) held to its bundle: each event its leaf."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from bidopen.store.event_leaves import event_entry
from bidopen.store.eventlog import StoredEvent
from bidopen.verify.check import Report, Trust, VerificationFailed, proven_entries


def events_of(session_id: str, answer: Mapping[str, Any]) -> list[StoredEvent]:
    """The events of a log answer; ValueError if it is not one."""
    try:
        return [
            StoredEvent(
                session_id,
                int(item["seq"]),
                str(item["kind"]),
                str(item["at"]),
                dict(item["payload"]),
                int(item["leaf"]),
            )
            for item in answer["events"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"unexpected log answer: {str(answer)[:200]}") from exc


def bundle_size(bundle: Mapping[str, Any]) -> int:
    """The tree size of the bundle's checkpoint (its second line)."""
    return int(str(bundle["log"]["checkpoint"]).split("\n")[1])


def check_events(events: Sequence[StoredEvent], bundle: Mapping[str, Any], trust: Trust) -> None:
    """Every event, gap-free from seq 1, is the entry proven at its leaf under the bundle's
    signed checkpoint; `VerificationFailed` names the first that is not. (What the events
    prove about the opening is `verify_bundle`'s part.)"""
    proven_entries(bundle, trust, Report())
    proven = {int(item["index"]): str(item["entry"]) for item in bundle["entries"]}
    for expected, event in enumerate(events, start=1):
        if event.seq != expected:
            raise VerificationFailed(f"expected event {expected}, found {event.seq}")
        entry = proven.get(-1 if event.leaf is None else event.leaf)
        if entry is None or base64.b64decode(entry) != event_entry(event):
            raise VerificationFailed(f"event {event.seq} does not match its leaf {event.leaf}")
