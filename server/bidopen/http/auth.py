"""Who is calling: the client's address, the bearer token's role and account."""

from __future__ import annotations

from aiohttp import web

from bidopen.appkeys import ACCOUNTS, HOST_SCOPE, TRUSTED_PROXIES
from bidopen.errors import HubError
from bidopen.http.clientaddress import UNKNOWN
from bidopen.http.parsing import bearer_token
from bidopen.session.values import Actor
from bidopen.store.accounts import Principal

# Where the rate limit leaves the principal it authenticated, so a view need not ask again.
_PRINCIPAL = "bidopen.principal"


def client_address(request: web.Request) -> str:
    """The peer, or the client a trusted proxy names (`bidopen.http.clientaddress`)."""
    proxies = request.app.get(TRUSTED_PROXIES)
    if proxies is None:  # an application without the hub's wiring (the video relay alone)
        return request.remote or UNKNOWN
    return proxies.client(request.remote, request.headers)


async def authenticate(request: web.Request) -> Principal:
    """The principal of the request's bearer token; 401 without a valid one."""
    known = request.get(_PRINCIPAL)
    if isinstance(known, Principal):
        return known
    principal = await request.app[ACCOUNTS].authenticate(bearer_token(request))
    request[_PRINCIPAL] = principal
    return principal


async def require(request: web.Request, role: str) -> Principal:
    """The caller's principal; 401 without a valid token, 403 when its role is another."""
    principal = await authenticate(request)
    if principal.role != role:
        raise HubError("forbidden", f"This needs the {role} role.")
    return principal


async def host_actor(request: web.Request, tender_id: str) -> Actor:
    """A host of the tender's organisation, as the session core's actor; refused otherwise."""
    principal = await authenticate(request)
    return await request.app[HOST_SCOPE].actor(principal, tender_id)
