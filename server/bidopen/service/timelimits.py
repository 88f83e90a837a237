"""The documented range of every instant a host sends, checked before anything is stored.

Durations (window minutes, extensions, publicity days) have their ranges in the session
core's commands; instants are checked here against the server's clock, because a range of
instants is relative to now. A deadline of 9999-12-31 is refused, not stored: every sum the
hub makes with it (the tick's grace, the windows after it) must stay a valid instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bidopen.errors import HubError


def _utc(name: str, at: datetime) -> datetime:
    """The instant in UTC; one past year 9999 or before year 1 there is out of every range."""
    try:
        return at.astimezone(UTC)
    except OverflowError as exc:
        raise HubError("validation_failed", f"{name} is out of range.", field=name) from exc


def check_deadline(name: str, deadline: datetime, now: datetime, max_days: int) -> None:
    """A deadline lies after `now` and at most `max_days` days ahead (`max_deadline_days`)."""
    deadline = _utc(name, deadline)
    if deadline <= now:
        raise HubError("validation_failed", f"{name} must be in the future.", field=name)
    if deadline - now > timedelta(days=max_days):
        raise HubError(
            "validation_failed",
            f"{name} must be at most {max_days} days ahead.",
            f"{name} 最多只能设在 {max_days} 天之后。",
            field=name,
        )


def check_past_instant(name: str, at: datetime, now: datetime, max_days: int) -> None:
    """An instant before a deadline (sign-in opening) lies at most `max_days` days back."""
    if now - _utc(name, at) > timedelta(days=max_days):
        raise HubError(
            "validation_failed", f"{name} must be at most {max_days} days ago.", field=name
        )
