"""JSON over HTTP to the hub: one aiohttp session, bearer tokens, errors as ClientError."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from bidopen.client.errors import ClientError

# Generous: an upload of a large sealed file streams for minutes; a hung hub still ends.
_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=30, sock_read=120)


class HubHttp:
    """The REST side of one client. Use as an async context manager, or call `close`."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._own_session = session is None
        self._session = session
        self.token: str | None = None

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
        except aiohttp.ClientError as error:
            raise ClientError.unreachable(url, error) from error

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
