"""A token bucket per client address, for the public viewer endpoint."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RequestRate:
    """At most `per_minute` requests per key on average, with bursts up to `burst`.

    Time is a parameter, so tests need no clock. Keys whose bucket has refilled
    are dropped once more than `max_keys` are held, which bounds the memory a
    flood of addresses can take.
    """

    def __init__(self, per_minute: int, burst: int, max_keys: int = 10_000) -> None:
        if per_minute <= 0 or burst <= 0 or max_keys <= 0:
            raise ValueError("per_minute, burst and max_keys must be positive")
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, key: str, now: float) -> bool:
        """Take one token from `key`'s bucket if it has one."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def _prune(self, now: float) -> None:
        full_after = self._burst / self._rate
        self._buckets = {
            key: bucket
            for key, bucket in self._buckets.items()
            if now - bucket.updated < full_after
        }
        if len(self._buckets) >= self._max_keys:
            # Every key is active: forget the oldest half rather than grow.
            ordered = sorted(self._buckets.items(), key=lambda item: item[1].updated)
            self._buckets = dict(ordered[len(ordered) // 2 :])
