"""A member of the public: follows one session read-only, as the big screen does."""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp

from bidopen.client.base import HubClient
from bidopen.client.feed import SessionFeed


class PublicViewer(HubClient):
    """No account: connects to `/public` for one session and reads its feed."""

    namespace = "/public"

    def __init__(
        self,
        base_url: str | Sequence[str],
        session_id: str,
        *,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        super().__init__(base_url, session=session)
        self.session_id = session_id
        self._feed: SessionFeed | None = None

    async def open(self) -> SessionFeed:
        live = await self.follow(self.session_id)
        self._feed = live.feed
        return live.feed

    @property
    def feed(self) -> SessionFeed:
        if self._feed is None:
            raise RuntimeError("open the viewer first")
        return self._feed
