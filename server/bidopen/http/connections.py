"""Open connections: a ceiling for the process, a cap per address, and who yields first.

Every TCP connection holds a descriptor. The ceiling leaves descriptors for what uploads and
the database open themselves (a sealed file per upload in flight, the database's files or
sockets), and within it viewers are refused first, other API calls next, uploads last:
new viewers get `busy` once three quarters of the ceiling is in use, other calls at nine
tenths, and only an upload may take the last connections.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import defaultdict
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bidopen.errors import HubError
from bidopen.http.clientaddress import TrustedProxies
from bidopen.http.middleware import error_response
from bidopen.simulate.limits import raise_open_files

log = logging.getLogger("bidopen.connections")

# Descriptors kept whatever the ceiling: the database, the log, Redis, listening sockets.
BASE_RESERVE = 64
UNLIMITED = 1 << 30

VIEWER, CALL, UPLOAD = "viewer", "call", "upload"
# The share of the ceiling up to which each kind of request is still admitted.
_SHARE = {VIEWER: 0.75, CALL: 0.9, UPLOAD: 1.0}


@dataclass(frozen=True)
class OpenFiles:
    soft: int
    hard: int


def raise_open_file_limit() -> OpenFiles:
    """Raise the soft RLIMIT_NOFILE to the hard limit (the common soft 1024 is too few)."""
    try:
        raise_open_files(1 << 20)
    except (ValueError, OSError):
        log.warning("could not raise the open-file limit")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return OpenFiles(soft, hard)


# An upload in flight holds its socket and its file, and opens its folder to fsync it.
DESCRIPTORS_PER_UPLOAD = 3
# A connection that has sent nothing by then is closed: idle sockets must not hold the ceiling.
FIRST_BYTES_SECONDS = 10.0


def safe_ceiling(open_files: OpenFiles) -> int:
    """Connections the process can hold even if every one of them is an upload."""
    return max(16, (open_files.soft - BASE_RESERVE) // DESCRIPTORS_PER_UPLOAD)


class ConnectionGuard:
    """Counts TCP connections; `admit` is asked at accept, `admits` per request."""

    def __init__(self, *, configured: int, per_address: int, proxies: TrustedProxies) -> None:
        self._configured = configured
        self.per_address = per_address
        self._proxies = proxies
        self.ceiling = UNLIMITED
        self.open = 0
        self._by_address: dict[str, int] = defaultdict(int)

    def start(self, open_files: OpenFiles) -> None:
        """Fix the ceiling from the open-file limit the process got, and say so."""
        safe = safe_ceiling(open_files)
        if self._configured > safe:
            log.warning(
                "max_connections %d needs more descriptors than the limit %d allows; using %d",
                self._configured,
                open_files.soft,
                safe,
            )
        self.ceiling = min(self._configured, safe) if self._configured else safe
        log.info(
            "open-file limit %d (hard %d): at most %d connections, %d per address; viewers "
            "are refused from %d, uploads only at %d",
            open_files.soft,
            open_files.hard,
            self.ceiling,
            self.per_address,
            self.limit_for(VIEWER),
            self.ceiling,
        )

    def limit_for(self, kind: str) -> int:
        return int(self.ceiling * _SHARE[kind])

    def admit(self, address: str) -> bool:
        if self.open >= self.ceiling:
            return False
        if self._by_address[address] >= self.per_address and not self._proxies.trusts(address):
            return False
        self.open += 1
        self._by_address[address] += 1
        return True

    def release(self, address: str) -> None:
        self.open -= 1
        self._by_address[address] -= 1
        if self._by_address[address] <= 0:
            del self._by_address[address]

    def admits(self, kind: str) -> bool:
        # This request's own connection is among `open`.
        return self.open <= self.limit_for(kind)

    def protocol_factory(self, make_handler: asyncio.BaseProtocol | object) -> _Factory:
        return _Factory(make_handler, self)


class _Factory:
    def __init__(self, make_handler: object, guard: ConnectionGuard) -> None:
        self._make_handler = make_handler
        self._guard = guard

    def __call__(self) -> asyncio.Protocol:
        assert callable(self._make_handler)
        return _CountedConnection(self._make_handler(), self._guard)


class _CountedConnection(asyncio.Protocol):
    """aiohttp's protocol, counted from accept to close; refused at accept beyond the caps."""

    def __init__(self, handler: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self._handler = handler
        self._guard = guard
        self._address: str | None = None
        self._silent: asyncio.TimerHandle | None = None
        # When the loop last read bytes from this socket (time.monotonic()).
        self.last_bytes_at: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        if not self._guard.admit(address):
            transport.close()
            return
        self._address = address
        self._silent = asyncio.get_running_loop().call_later(FIRST_BYTES_SECONDS, transport.close)
        self._handler.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._address is None:
            return
        if self._silent is not None:
            self._silent.cancel()
        self._guard.release(self._address)
        self._address = None
        self._handler.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.last_bytes_at = time.monotonic()
        if self._silent is not None:
            self._silent.cancel()
            self._silent = None
        self._handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self._handler.eof_received()

    def pause_writing(self) -> None:
        self._handler.pause_writing()

    def resume_writing(self) -> None:
        self._handler.resume_writing()


def since_last_bytes(transport: asyncio.BaseTransport | None) -> float:
    """Seconds since the loop read bytes from this connection's socket (0 if unknown).

    An upload's body is handed on after the socket was read (parsing, a busy loop); this
    is how much earlier its last byte really arrived.
    """
    protocol = transport.get_protocol() if transport is not None else None
    at = getattr(protocol, "last_bytes_at", None)
    return max(0.0, time.monotonic() - at) if isinstance(at, float) else 0.0


def request_kind(request: web.Request) -> str:
    if request.method == "PUT" and request.path.endswith("/bid"):
        return UPLOAD
    if request.path.startswith("/api/"):
        return CALL
    return VIEWER  # pages, files and sockets


def admission(guard: ConnectionGuard) -> Middleware:
    """Refuse a request (`busy`, closing its connection) when its kind's share is in use."""

    @web.middleware
    async def admit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not guard.admits(request_kind(request)):
            response = error_response(HubError("busy", retry_after=5))
            response.force_close()
            return response
        return await handler(request)

    return admit
