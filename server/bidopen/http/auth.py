"""Who is calling: the bearer token's role and account, checked against what a view needs."""

from __future__ import annotations

from aiohttp import web

from bidopen.appkeys import ACCOUNTS
from bidopen.errors import HubError
from bidopen.http.parsing import bearer_token
from bidopen.store.accounts import Principal


async def require(request: web.Request, role: str) -> Principal:
    """The caller's principal; 401 without a valid token, 403 when its role is another."""
    principal = await request.app[ACCOUNTS].authenticate(bearer_token(request))
    if principal.role != role:
        raise HubError("forbidden", f"This needs the {role} role.")
    return principal
