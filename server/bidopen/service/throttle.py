"""Failed host sign-ins, counted per address and per (address, account).

Counting per pair, never per account alone, is what keeps a flood from locking the real
host out: guesses from one address spend that address's budget, and the host signing in
from its own address still has a full one. A success clears the pair's count.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bidopen.errors import HubError
from bidopen.realtime.limits import BucketsByKey


class LoginThrottle:
    def __init__(
        self,
        *,
        per_address_per_minute: int,
        per_account_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # The burst equals a minute's budget: a person mistyping twice is never slowed.
        self._by_address = BucketsByKey(per_address_per_minute, per_address_per_minute)
        self._by_pair = BucketsByKey(per_account_per_minute, per_account_per_minute)
        self._clock = clock

    def check(self, address: str, account: str) -> None:
        """Refuse (429 with Retry-After) before any hashing when either budget is spent."""
        now = self._clock()
        wait = max(
            self._by_address(address).seconds_to_token(now),
            self._by_pair(_pair(address, account)).seconds_to_token(now),
        )
        if wait:
            raise HubError("login_throttled", retry_after=wait)

    def failed(self, address: str, account: str) -> None:
        now = self._clock()
        self._by_address(address).take(now)
        self._by_pair(_pair(address, account)).take(now)

    def succeeded(self, address: str, account: str) -> None:
        self._by_pair.forget(_pair(address, account))


def _pair(address: str, account: str) -> str:
    return f"{address}\x00{account}"
