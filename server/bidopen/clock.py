"""The server clock: every deadline decision asks one `Clock` for the time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current instant in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock; deadlines are judged by it, never by a client's."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def iso(at: datetime) -> str:
    """The one text form of an instant on the wire and in the log: UTC, microseconds, `Z`."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: every instant must carry its time zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    """Read an ISO 8601 instant that names its offset (`Z` or `+08:00`)."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError(f"instant {text!r} has no time zone")
    try:
        return at.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:00-08:00 is past the last representable year
        raise ValueError(f"instant {text!r} is out of range") from exc
