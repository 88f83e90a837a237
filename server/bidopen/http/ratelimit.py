"""A request budget per client address for callers without a token (the public pages)."""

from __future__ import annotations

import time
from collections import OrderedDict

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bidopen.errors import HubError
from bidopen.realtime.limits import TokenBucket

# Addresses remembered at once; the least recently seen are forgotten first.
_MAX_ADDRESSES = 100_000


def public_rate_limit(requests_per_minute: int) -> Middleware:
    """Refuse anonymous `/api/` requests beyond `requests_per_minute` per address (429)."""
    buckets: OrderedDict[str, TokenBucket] = OrderedDict()
    burst = max(10, requests_per_minute // 6)

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/api/") and "Authorization" not in request.headers:
            address = request.remote or "unknown"
            bucket = buckets.pop(address, None) or TokenBucket(requests_per_minute, burst)
            buckets[address] = bucket
            if len(buckets) > _MAX_ADDRESSES:
                buckets.popitem(last=False)
            if not bucket.take(time.monotonic()):
                raise HubError("rate_limited")
        return await handler(request)

    return limit
