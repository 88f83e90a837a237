"""The Origin check of the socket handshake: same origin, or one the operator allowed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def same_origin(environ: Mapping[str, Any]) -> set[str]:
    """The origins under which the request's own Host is reached (direct or via the proxy)."""
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    host = environ.get("HTTP_HOST")
    origins = set()
    if host:
        origins.add(f"{scheme}://{host}")
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST")
    forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO")
    if forwarded_host or forwarded_proto:
        proto = str(forwarded_proto or scheme).split(",")[0].strip()
        fhost = str(forwarded_host or host or "").split(",")[0].strip()
        if fhost:
            origins.add(f"{proto}://{fhost}")
    return origins


def origin_checker(allowed: tuple[str, ...]) -> Callable[[str | None, Mapping[str, Any]], bool]:
    """For engineio's `cors_allowed_origins`: called only when the client sent an Origin."""
    configured = frozenset(allowed)

    def check(origin: str | None, environ: Mapping[str, Any]) -> bool:
        # Clients that send no Origin are not browsers, so no other site can drive them.
        if origin is None:
            return True
        return origin in configured or origin in same_origin(environ)

    return check
