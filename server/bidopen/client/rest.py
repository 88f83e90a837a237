"""JSON over HTTP to the hub: one aiohttp session, bearer tokens, errors as ClientError."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import aiohttp

from bidopen.client.errors import ClientError

# Generous: an upload of a large sealed file streams for minutes; a hung hub still ends.
_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=30, sock_read=120)


def hub_urls(hubs: str | Sequence[str]) -> tuple[str, ...]:
    """The hub URLs a client may use, in order of preference: a list, or one string with
    commas (`--hub https://a.example,https://b.example`)."""
    parts = hubs.split(",") if isinstance(hubs, str) else list(hubs)
    urls = tuple(part.strip().rstrip("/") for part in parts if part.strip())
    if not urls:
        raise ClientError("bad_request", "give at least one hub URL")
    return urls


class HubHttp:
    """The REST side of one client. Use as an async context manager, or call `close`.

    Given several hub URLs (nodes of one deployment), it uses one at a time and moves to
    the next when a connection to it cannot be made: such a request never reached the
    hub, so it is sent again to the next node whatever its method. A request that fails
    after it was sent is not repeated (it may have taken effect); the next one goes to
    the next node.
    """

    def __init__(
        self, base_url: str | Sequence[str], session: aiohttp.ClientSession | None = None
    ) -> None:
        self.urls = hub_urls(base_url)
        self._current = 0
        self._own_session = session is None
        self._session = session
        self.token: str | None = None

    @property
    def base_url(self) -> str:
        return self.urls[self._current]

    def prefer(self, url: str) -> None:
        """Use `url` from now on (the live socket found it answering)."""
        if url in self.urls:
            self._current = self.urls.index(url)

    def next_url(self) -> str:
        """Move to the next hub URL and return it."""
        self._current = (self._current + 1) % len(self.urls)
        return self.base_url

    async def __aenter__(self) -> HubHttp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=_TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if extra:
            headers.update(extra)
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | AsyncIterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON answer or raise ClientError."""
        # A streamed body cannot be sent twice: it goes to the current node only.
        attempts = 1 if data is not None and not isinstance(data, bytes) else len(self.urls)
        for attempt in range(attempts):
            url = self.base_url + path
            try:
                async with self.session.request(
                    method,
                    url,
                    json=json,
                    data=data,
                    headers=self._headers(headers),
                    params=params,
                ) as response:
                    return await _answer(response)
            except aiohttp.ClientConnectorError as error:
                self.next_url()
                if attempt == attempts - 1:
                    raise ClientError.unreachable(url, error) from error
            except aiohttp.ClientError as error:
                if len(self.urls) > 1:
                    self.next_url()
                raise ClientError.unreachable(url, error) from error
        raise AssertionError("unreachable")

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, body: Any = None) -> Any:
        return await self.request("POST", path, json={} if body is None else body)

    async def get_text(self, path: str) -> str:
        """A document exactly as the hub stored it (signatures cover these bytes)."""
        url = self.base_url + path
        try:
            async with self.session.get(url, headers=self._headers()) as response:
                if response.status >= 400:
                    await _answer(response)
                return await response.text(encoding="utf-8")
        except aiohttp.ClientError as error:
            raise ClientError.unreachable(url, error) from error


async def _answer(response: aiohttp.ClientResponse) -> Any:
    try:
        body = await response.json(content_type=None)
    except ValueError:
        body = None
    if response.status >= 400:
        if body is None:
            raise ClientError(
                "http_error", f"HTTP {response.status} {response.reason}", status=response.status
            )
        raise ClientError.from_payload(body, response.status)
    return body
