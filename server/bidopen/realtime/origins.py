"""The Origin check of the socket handshake: same origin, or one the operator allowed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bidopen.http.clientaddress import TrustedProxies


def same_origin(environ: Mapping[str, Any], proxies: TrustedProxies) -> set[str]:
    """The origins under which the request's own Host is reached (direct or via the proxy).

    `X-Forwarded-Host` and `-Proto` count only when a trusted proxy sent them: from anyone
    else they would let a foreign page name itself as the hub.
    """
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    host = environ.get("HTTP_HOST")
    origins = set()
    if host:
        origins.add(f"{scheme}://{host}")
    request = environ.get("aiohttp.request")
    peer = getattr(request, "remote", None)
    headers = getattr(request, "headers", {})
    forwarded_host = proxies.forwarded(peer, headers, "Host")
    forwarded_proto = proxies.forwarded(peer, headers, "Proto")
    if forwarded_host or forwarded_proto:
        proto = forwarded_proto or scheme
        fhost = forwarded_host or host
        if fhost:
            origins.add(f"{proto}://{fhost}")
    return origins


def origin_checker(
    allowed: tuple[str, ...], proxies: TrustedProxies
) -> Callable[[str | None, Mapping[str, Any]], bool]:
    """For engineio's `cors_allowed_origins`: called only when the client sent an Origin."""
    configured = frozenset(allowed)

    def check(origin: str | None, environ: Mapping[str, Any]) -> bool:
        # Clients that send no Origin are not browsers, so no other site can drive them.
        if origin is None:
            return True
        return origin in configured or origin in same_origin(environ, proxies)

    return check
