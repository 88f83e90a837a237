"""Who is calling: the bearer token's role and account, checked against what a view needs."""

from __future__ import annotations

from aiohttp import web

from bidopen.appkeys import ACCOUNTS, HOST_SCOPE
from bidopen.errors import HubError
from bidopen.http.parsing import bearer_token
from bidopen.session.values import Actor
from bidopen.store.accounts import Principal


async def require(request: web.Request, role: str) -> Principal:
    """The caller's principal; 401 without a valid token, 403 when its role is another."""
    principal = await request.app[ACCOUNTS].authenticate(bearer_token(request))
    if principal.role != role:
        raise HubError("forbidden", f"This needs the {role} role.")
    return principal


async def host_actor(request: web.Request, tender_id: str) -> Actor:
    """A host of the tender's organisation, as the session core's actor; refused otherwise."""
    principal = await request.app[ACCOUNTS].authenticate(bearer_token(request))
    return await request.app[HOST_SCOPE].actor(principal, tender_id)
