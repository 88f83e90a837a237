"""Limits of the public channel: connections per address and refused messages per minute."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate_per_minute` tokens a minute, holding at most `burst`; time is passed in."""

    rate_per_minute: float
    burst: float
    tokens: float = field(default=-1.0)
    updated: float = 0.0

    def _refill(self, now: float) -> None:
        if self.tokens < 0:
            self.tokens, self.updated = self.burst, now
        self.tokens = min(
            self.burst, self.tokens + (now - self.updated) * self.rate_per_minute / 60
        )
        self.updated = now

    def take(self, now: float) -> bool:
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def seconds_to_token(self, now: float) -> int:
        """Whole seconds until a token is there (0 when one is): the `Retry-After` value."""
        self._refill(now)
        if self.tokens >= 1:
            return 0
        return max(1, math.ceil((1 - self.tokens) * 60 / self.rate_per_minute))


class BucketsByKey:
    """One bucket per key (an address, an account), forgetting the least recently used."""

    def __init__(self, rate_per_minute: float, burst: float, max_keys: int = 100_000) -> None:
        self._rate = rate_per_minute
        self._burst = burst
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def __call__(self, key: str) -> TokenBucket:
        bucket = self._buckets.pop(key, None) or TokenBucket(self._rate, self._burst)
        self._buckets[key] = bucket
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return bucket

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)


class PublicLimits:
    """Bookkeeping per client address and per socket; the namespace enforces the answers."""

    def __init__(self, *, max_connections_per_ip: int, messages_per_minute: int) -> None:
        self._max_connections = max_connections_per_ip
        self._rate = messages_per_minute
        self._connections: dict[str, int] = defaultdict(int)
        self._buckets: dict[str, TokenBucket] = {}

    def admit(self, address: str) -> bool:
        if self._connections[address] >= self._max_connections:
            return False
        self._connections[address] += 1
        return True

    def release(self, address: str, sid: str) -> None:
        self._buckets.pop(sid, None)
        count = self._connections.get(address, 0) - 1
        if count <= 0:
            self._connections.pop(address, None)
        else:
            self._connections[address] = count

    def allow_message(self, sid: str) -> bool:
        bucket = self._buckets.setdefault(sid, TokenBucket(self._rate, max(1, self._rate // 6)))
        return bucket.take(time.monotonic())
