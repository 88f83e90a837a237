"""Who is on the other end: the peer address, or what a configured trusted proxy says it is.

Forwarded headers (`X-Forwarded-For`, `-Host`, `-Proto`) are anyone's word; they count only
when the connection comes from one of the operator's `trusted_proxies`. The client address
is then the right-most address in `X-Forwarded-For` that is not itself a trusted proxy:
everything to its left was written by the client and proves nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


class TrustedProxies:
    def __init__(self, networks: Iterable[str]) -> None:
        self._networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in networks
        )

    def trusts(self, address: str | None) -> bool:
        if not self._networks or not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self._networks)

    def client(self, peer: str | None, headers: Mapping[str, str]) -> str:
        """The address rate limits and connection counts key on."""
        if not self.trusts(peer):
            return peer or UNKNOWN
        hops = [h.strip() for h in headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else (peer or UNKNOWN)

    def forwarded(self, peer: str | None, headers: Mapping[str, str], name: str) -> str | None:
        """`X-Forwarded-<name>`'s first value, only from a trusted proxy."""
        if not self.trusts(peer):
            return None
        value = headers.get(f"X-Forwarded-{name}")
        return value.split(",")[0].strip() or None if value else None
