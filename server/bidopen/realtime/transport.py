"""Limits below the namespaces: Engine.IO sessions per address, failed sign-ins per address.

An Engine.IO session exists before any namespace is joined (a "bare" connection), so the
public namespace's own count cannot see it; it is counted here, when Engine.IO opens it.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import socketio

from bidopen.errors import HubError, error_payload
from bidopen.http.clientaddress import TrustedProxies
from bidopen.realtime.limits import BucketsByKey

log = logging.getLogger("bidopen.realtime")

EioHandler = Callable[..., Awaitable[Any]]


class TransportLimits:
    def __init__(
        self,
        proxies: TrustedProxies,
        *,
        sessions_per_address: int,
        namespace_failures_per_minute: int,
    ) -> None:
        self._proxies = proxies
        self._max_sessions = sessions_per_address
        self._sessions: dict[str, int] = defaultdict(int)
        self._session_address: dict[str, str] = {}
        self._failures = BucketsByKey(namespace_failures_per_minute, namespace_failures_per_minute)

    def address(self, environ: Mapping[str, Any]) -> str:
        request = environ.get("aiohttp.request")
        peer = getattr(request, "remote", None)
        return self._proxies.client(peer, getattr(request, "headers", {}))

    def install(self, sio: socketio.AsyncServer) -> None:
        """Count every Engine.IO session from its open to its close, refusing beyond the cap."""
        eio = sio.eio
        on_connect: EioHandler = eio.handlers["connect"]
        on_disconnect: EioHandler = eio.handlers["disconnect"]

        async def connect(eio_sid: str, environ: dict[str, Any]) -> Any:
            address = self.address(environ)
            if self._sessions[address] >= self._max_sessions:
                log.info("refused a socket: %d sessions from one address", self._max_sessions)
                # Engine.IO answers its handshake 401 with this as the JSON body.
                return error_payload(
                    HubError("rate_limited", "Too many sockets from one address.", retry_after=60)
                )
            self._sessions[address] += 1
            self._session_address[eio_sid] = address
            return await on_connect(eio_sid, environ)

        async def disconnect(eio_sid: str, reason: object = None) -> Any:
            address = self._session_address.pop(eio_sid, None)
            if address is not None:
                self._sessions[address] -= 1
                if self._sessions[address] <= 0:
                    del self._sessions[address]
            return await on_disconnect(eio_sid, reason)

        eio.on("connect", connect)
        eio.on("disconnect", disconnect)

    def sessions_of(self, address: str) -> int:
        return self._sessions.get(address, 0)

    def check_sign_in(self, address: str) -> None:
        """Refuse a namespace sign-in from an address whose failures are spent."""
        wait = self._failures(address).seconds_to_token(time.monotonic())
        if wait:
            raise HubError("rate_limited", "Too many failed socket sign-ins.", retry_after=wait)

    def sign_in_failed(self, address: str) -> None:
        self._failures(address).take(time.monotonic())
