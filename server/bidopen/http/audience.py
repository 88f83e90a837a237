"""The audience of a sign-in challenge: the origin the bidder reached, as the hub can vouch for it.

The audience is signed with the challenge so that a signature made for one hub cannot be
replayed at another: a client refuses a challenge whose audience is not the origin it talks
to. A site that relays our challenges therefore must not be able to choose the audience.

With `allowed_origins` configured the audience is the first of them, whatever the request
says. Without it, the hub takes the request's `Host` only when that Host names the very
address and port the TCP connection arrived on (or `localhost` on a loopback connection).
A Host header is the client's word, but here it cannot name anything else: a relay that
sends `Host: evil.example` gets no challenge, and one that sends the hub's own address
gets a challenge for the hub's own address, which the bidder's client (talking to the
relay) refuses. DNS rebinding fails the same way: the browser sends the attacker's name.
Behind a reverse proxy or under a DNS name the connection's address is not the one
bidders use, so the operator configures `allowed_origins`; until then sign-in is refused
with a message saying so.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web
from yarl import URL

from bidopen.errors import HubError

_LOOPBACK_NAME = "localhost"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def challenge_audience(request: web.Request, configured: str | None) -> str:
    """The audience to issue with a challenge answering `request`."""
    if configured is not None:
        return configured
    origin = _reached_origin(request)
    if origin is None:
        raise HubError(
            "origin_refused",
            f"The hub cannot vouch for the address {request.host!r}; its operator must set "
            "allowed_origins (--allowed-origin) to the address bidders use.",
            f"平台无法确认地址 {request.host} 属于本平台，请管理员配置 allowed_origins"
            "（--allowed-origin）为投标人使用的地址。",
        )
    return origin


def _reached_origin(request: web.Request) -> str | None:
    """`scheme://host[:port]` from the Host header, if it names the connection's own address."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        return None
    try:
        local = _plain(ipaddress.ip_address(sockname[0]))
        said = URL.build(scheme=request.scheme, authority=request.host)
    except ValueError:
        return None
    if said.host is None or said.port != sockname[1] or said.user or said.path not in ("", "/"):
        return None
    if said.host == _LOOPBACK_NAME:
        named_here = local.is_loopback
    else:
        try:
            named_here = _plain(ipaddress.ip_address(said.host)) == local
        except ValueError:
            # A DNS name: the hub cannot tell whether it is its own.
            named_here = False
    return f"{request.scheme}://{request.host}" if named_here else None


def _plain(address: IPAddress) -> IPAddress:
    """An IPv4 client of a socket bound to `::` shows as ::ffff:a.b.c.d; compare it as a.b.c.d."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
