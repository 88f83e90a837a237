"""What every client of the hub shares: its HTTP side, the server key, reading a session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import aiohttp

from bidopen.client.documents import ServerKeyInfo, SignedDocument, verify_signed
from bidopen.client.errors import ClientError
from bidopen.client.live import LiveSession, fetch_events
from bidopen.client.models import EventMessage, Snapshot, Tender
from bidopen.client.rest import HubHttp


class HubClient:
    """Reads anyone may do; subclasses add a role. An async context manager."""

    namespace = "/public"

    def __init__(
        self,
        base_url: str | Sequence[str],
        *,
        token: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        # A shared `session` lets hundreds of simulated clients reuse one connection pool.
        self.http = HubHttp(base_url, session)
        self.http.token = token
        self._server_key: ServerKeyInfo | None = None
        self._live: list[LiveSession] = []

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def token(self) -> str | None:
        return self.http.token

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        for live in self._live:
            await live.close()
        self._live = []
        await self.http.close()

    async def server_key(self) -> ServerKeyInfo:
        """The hub's signing key (fetched once); every signed document is checked against it."""
        if self._server_key is None:
            self._server_key = ServerKeyInfo.from_json(await self.http.get("/api/server-key"))
        return self._server_key

    async def verify(self, envelope: Any, document_type: str) -> SignedDocument:
        return verify_signed(envelope, document_type, await self.server_key())

    async def tender(self, tender_id: str) -> Tender:
        return Tender.from_json(await self.http.get(f"/api/tenders/{tender_id}"))

    async def tenders(self, limit: int = 50) -> list[Tender]:
        answer = await self.http.get("/api/tenders", {"limit": str(limit)})
        if not isinstance(answer, dict) or not isinstance(answer.get("tenders"), list):
            raise ClientError("bad_response", "unexpected tender list")
        return [Tender.from_json(item) for item in answer["tenders"]]

    async def snapshot(self, session_id: str) -> Snapshot:
        """The session as this client's role sees it."""
        return Snapshot.from_json(await self.http.get(f"/api/sessions/{session_id}"))

    async def events(self, session_id: str, after: int = 0) -> list[EventMessage]:
        return await fetch_events(self.http, session_id, after)

    async def record(self, session_id: str) -> SignedDocument:
        """The published opening record, its signature checked with the hub's key."""
        text = await self.http.get_text(f"/api/sessions/{session_id}/record")
        return await self.verify(text, "opening-record")

    async def follow(self, session_id: str) -> LiveSession:
        """A live socket in the session's room; its `feed` yields events in log order."""
        live = LiveSession(self.http, self.namespace, session_id)
        await live.open()
        self._live.append(live)
        return live
