"""Request budgets of `/api/`, keyed by the identity that actually authenticated.

A request whose bearer token checks out spends its account's budget; any other request
(no header, another scheme, a token that fails) is anonymous and spends its address's.
Bidders' registration and sign-in have a budget of their own per address, large enough for
a bidding room of hundreds behind one address to sign in together, so that the general
anonymous budget (the public pages) cannot hold them back, nor they it.
"""

from __future__ import annotations

import re
import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bidopen.config import Config
from bidopen.errors import HubError
from bidopen.http.auth import authenticate, client_address
from bidopen.http.parsing import bearer_token
from bidopen.realtime.limits import BucketsByKey

_SIGNIN = re.compile(r"^/api/bidders(/[^/]+/(challenge|login))?$")


def _buckets(per_minute: int) -> BucketsByKey:
    return BucketsByKey(per_minute, max(10, per_minute // 6))


def request_limits(config: Config) -> Middleware:
    """429 with Retry-After once a caller's budget of `/api/` requests is spent."""
    anonymous = _buckets(config.public_requests_per_minute)
    # A whole minute's budget at once: a bidding room signs in at the same moment.
    signins = BucketsByKey(config.signin_requests_per_minute, config.signin_requests_per_minute)
    accounts = _buckets(config.account_requests_per_minute)

    async def budget(request: web.Request) -> tuple[BucketsByKey, str]:
        if bearer_token(request) is not None:
            try:
                principal = await authenticate(request)
            except HubError:
                pass  # failed credentials are anonymous
            else:
                return accounts, f"{principal.role}:{principal.subject}"
        address = client_address(request)
        if request.method == "POST" and _SIGNIN.match(request.path):
            return signins, address
        return anonymous, address

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/api/"):
            buckets, key = await budget(request)
            bucket = buckets(key)
            now = time.monotonic()
            if not bucket.take(now):
                raise HubError("rate_limited", retry_after=bucket.seconds_to_token(now))
        return await handler(request)

    return limit
