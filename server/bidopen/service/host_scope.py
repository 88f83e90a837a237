"""The one rule of host access: a host acts on a tender only if its organisation owns it.

Every host-scope path calls this module and nothing else decides: REST commands, the host
view, the event catch-up and the chained log, the `/host` socket's join and catch-up, the
bid documents and their read log, and the video publisher. A tender belongs to the
organisation of the host who created it (stored with the tender; it never changes).
"""

from __future__ import annotations

from bidopen.errors import HubError
from bidopen.service.views import HOST
from bidopen.session.values import Actor, Role
from bidopen.store import tenders as tender_store
from bidopen.store.accounts import Principal
from bidopen.store.db import Database


class HostScope:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def organisation_of(self, tender_id: str) -> str:
        async with self._db.read() as conn:
            organisation = await tender_store.organisation_of(conn, tender_id)
        if organisation is None:
            raise HubError("tender_not_found")
        return organisation

    async def may_act(self, principal: Principal | None, tender_id: str) -> bool:
        """True when `principal` is a host of the tender's organisation."""
        if principal is None or principal.role != HOST or principal.organisation is None:
            return False
        return await self.organisation_of(tender_id) == principal.organisation

    async def actor(self, principal: Principal, tender_id: str) -> Actor:
        """The session core's actor for this host on this tender, or the refusal.

        403 `forbidden` for a caller that is no host, 404 `tender_not_found` for an unknown
        tender, 403 `not_your_tender` for a host of another organisation.
        """
        if principal.role != HOST:
            raise HubError("forbidden", "This needs the host role.")
        if not await self.may_act(principal, tender_id):
            raise HubError("not_your_tender")
        assert principal.organisation is not None
        return Actor(role=Role.HOST, id=principal.organisation)
