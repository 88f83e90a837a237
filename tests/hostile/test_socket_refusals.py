"""A refused socket connection carries the documented error object, and the pages show its message.

Real hub process; python-socketio as a third-party client would use it, and Chromium for
the page's connection line.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import socketio
from hostile_kit import host_and_tender, watched_page
from playwright.async_api import Browser, expect

from bidopen.client.errors import ClientError
from bidopen.client.live import LiveSession
from bidopen.client.rest import HubHttp
from bidopen.errors import CODES
from hubprocess import HubProcess

SLOW = 30_000


async def refusal(url: str, namespace: str, auth: Any) -> Any:
    """What the hub sent with `connect_error` for one connection attempt."""
    client = socketio.AsyncClient(reconnection=False)
    received: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def refused(data: Any = None) -> None:
        if not received.done():
            received.set_result(data)

    client.on("connect_error", refused, namespace=namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=5
        )
    try:
        return await asyncio.wait_for(received, 5)
    finally:
        await client.disconnect()


async def test_refused_connections_carry_the_error_object(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api, tender = await host_and_tender(hub_process, hub_client)
    bidder = await api.register("甲建设集团")
    url = hub_process.base_url
    cases = [
        ("/host", None, "unauthenticated", "auth.token"),
        ("/host", {"token": "not-a-token"}, "unauthenticated", None),
        ("/host", {"token": bidder.token}, "forbidden", None),
        ("/bidder", {"token": api.host_token}, "forbidden", None),
        ("/bidder", {"token": 12}, "validation_failed", "auth.token"),
        ("/public", {"session_id": "ZB-1999-000001"}, "tender_not_found", None),
        ("/public", {"session_id": tender, "extra": 1}, "validation_failed", "auth.extra"),
        ("/public", None, "validation_failed", "auth"),
    ]
    for namespace, auth, code, field in cases:
        packet = await refusal(url, namespace, auth)
        # The CONNECT_ERROR packet: `message` for any Socket.IO client, the payload as data.
        assert isinstance(packet, dict) and set(packet) == {"message", "data"}, packet
        data = packet["data"]
        assert isinstance(data, dict) and set(data) == {"error"}, (namespace, auth, data)
        error = data["error"]
        assert packet["message"] == error["message"]
        assert error["code"] == code, (namespace, auth, error)
        assert error["message"] and error["message_zh"] and error["code"] in CODES
        assert error.get("field") == field, (namespace, auth, error)

    # The project's own client reads the refusal into its error.
    async with HubHttp(url) as http:
        http.token = "not-a-token"
        with pytest.raises(ClientError) as refused:
            await LiveSession(http, "/host", tender).open()
        assert refused.value.code == "unauthenticated"


@pytest.mark.browser
@pytest.mark.parametrize("hub_env", [{"BIDOPEN_PUBLIC_MAX_CONNECTIONS_PER_IP": "1"}])
async def test_a_page_shows_why_its_connection_was_refused(
    chromium: Browser,
    hub_process: HubProcess,
    hub_client: aiohttp.ClientSession,
    hub_env: dict[str, str],
) -> None:
    _api, tender = await host_and_tender(hub_process, hub_client)
    first = await watched_page(chromium, hub_process.base_url)
    await first.page.goto(f"/screen/{tender}")
    connection = first.page.locator("#connection")
    await expect(connection).to_have_attribute("data-state", "online", timeout=SLOW)

    # A second screen from the same address is one too many: the page says why.
    second = await watched_page(chromium, hub_process.base_url)
    await second.page.goto(f"/screen/{tender}")
    refused = second.page.locator("#connection")
    await expect(refused).to_have_attribute("data-refused", "rate_limited", timeout=SLOW)
    await expect(refused).to_contain_text(CODES["rate_limited"].message_zh)
    # The tender page says it too.
    await second.page.goto(f"/tender/{tender}")
    said = second.page.locator("#feed-refused")
    await expect(said).to_contain_text(CODES["rate_limited"].message_zh, timeout=SLOW)
    assert first.errors == second.errors == []
