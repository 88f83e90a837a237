"""The big screen keeps up through network trouble: reconnects, catches up by seq, never reloads."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Any

import aiohttp
import pytest
from browsing import SLOW, Browsers, ScriptedOpening, Shooter, opening_in_decryption
from playwright.async_api import Page, WebSocketRoute, expect

pytestmark = pytest.mark.browser

# Survives only as long as the page is not reloaded.
MARK_PAGE = "window.__sameDocument = 'still here'"


async def server_public_view(base_url: str, session_id: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession(base_url=base_url) as http,
        http.get(f"/api/sessions/{session_id}") as response,
    ):
        return dict((await response.json())["view"])


async def expect_view_matches_server(screen: Page, base_url: str, session_id: str) -> None:
    server = await server_public_view(base_url, session_id)
    folded = await screen.evaluate("window.bidopenScreen.view()")
    assert {key: folded.get(key) for key in server} == server


async def open_screen(browsers: Browsers, opening: ScriptedOpening) -> Page:
    screen = await browsers.page("screen")
    await screen.goto(f"/screen/{opening.tender}")
    await expect(screen.locator("#connection")).to_have_attribute("data-state", "online")
    await expect(screen.locator("#stat-decrypted")).to_have_text("0 / 3")
    await screen.evaluate(MARK_PAGE)
    return screen


async def test_screen_reconnects_and_catches_up_after_losing_the_network(
    browsers: Browsers, hub_process: Any, screenshot: Shooter
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        ["980000.00", "1010000.00", "995000.00"],
    )
    try:
        screen = await open_screen(browsers, opening)

        # The hall's network goes down in the middle of decryption.
        await screen.context.set_offline(True)
        await expect(screen.locator("#connection")).to_have_attribute("data-state", "offline")
        await screenshot(screen, "offline")

        # Meanwhile the session moves on: two bids are decrypted, the host extends the window.
        first, second, _ = opening.bidders
        await first.client.decrypt(opening.tender, "1", first.sealed)
        await opening.host.extend_decryption(opening.tender, 600, "投标人网络故障，延长解密时间")
        await second.client.decrypt(opening.tender, "1", second.sealed)
        await expect(screen.locator("#stat-decrypted")).to_have_text("0 / 3")

        # The network comes back: the screen reconnects by itself and shows what it missed.
        await screen.context.set_offline(False)
        await expect(screen.locator("#connection")).to_have_attribute(
            "data-state", "online", timeout=SLOW
        )
        await expect(screen.locator("#stat-decrypted")).to_have_text("2 / 3", timeout=SLOW)
        await expect(screen.locator("#notice")).to_contain_text("延长解密时间")
        assert await screen.evaluate("window.__sameDocument") == "still here"

        # And it goes on following live pushes after the reconnection.
        third = opening.bidders[2]
        await third.client.decrypt(opening.tender, "1", third.sealed)
        await expect(screen.locator("#stat-decrypted")).to_have_text("3 / 3", timeout=SLOW)
        await expect_view_matches_server(screen, hub_process.base_url, opening.tender)
        await screenshot(screen, "caught-up")
    finally:
        await opening.close()


async def test_screen_fills_a_gap_in_pushed_events_from_the_log(
    browsers: Browsers, hub_process: Any
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        ["980000.00", "1010000.00", "995000.00"],
    )
    dropped: list[int] = []

    # Between hub and page, lose the push of the first decryption (a lost doorbell).
    async def lossy(route: WebSocketRoute) -> None:
        server = route.connect_to_server()

        def to_page(message: str | bytes) -> None:
            if isinstance(message, str) and '"bid_decrypted"' in message and not dropped:
                dropped.append(json.loads(message[message.index("[") :])[1]["seq"])
                return
            route.send(message)

        server.on_message(to_page)

    try:
        screen = await browsers.page("screen")
        await screen.route_web_socket("**/socket.io/**", lossy)
        await screen.goto(f"/screen/{opening.tender}")
        await expect(screen.locator("#stat-decrypted")).to_have_text("0 / 3")
        await screen.evaluate(MARK_PAGE)

        first, second, _ = opening.bidders
        await first.client.decrypt(opening.tender, "1", first.sealed)
        # The push goes out after the commit; wait until the route has swallowed it.
        for _ in range(200):
            if dropped:
                break
            await asyncio.sleep(0.05)
        assert len(dropped) == 1
        # The push was lost: nothing tells the screen.
        await expect(screen.locator("#stat-decrypted")).to_have_text("0 / 3")

        # The next push reveals the hole; the screen reads the missing event from the log.
        await second.client.decrypt(opening.tender, "1", second.sealed)
        await expect(screen.locator("#stat-decrypted")).to_have_text("2 / 3", timeout=SLOW)
        assert await screen.evaluate("window.bidopenScreen.feed.lastSeq") > dropped[0]
        assert await screen.evaluate("window.__sameDocument") == "still here"
        await expect_view_matches_server(screen, hub_process.base_url, opening.tender)
    finally:
        await opening.close()


async def test_a_stopped_hub_leaves_the_screen_reconnecting_and_it_comes_back(
    browsers: Browsers, hub_process: Any
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        ["980000.00", "1010000.00", "995000.00"],
    )
    try:
        screen = await open_screen(browsers, opening)
        # The operator stops the hub (SIGTERM, as systemd and docker do): it closes the
        # connection, so the hall sees at once that it is reconnecting, not a stale 已连接.
        # How long the stop takes is measured by bench/bench_stop.py.
        hub_process.process.send_signal(signal.SIGTERM)
        await expect(screen.locator("#connection")).to_have_attribute("data-state", "offline")
        await expect(screen.locator("#connection")).to_contain_text("正在重连")
        assert await asyncio.to_thread(hub_process.process.wait, 20) == 0

        # Back up, the screen finds the hub by itself, in the same document.
        await asyncio.to_thread(hub_process.start)
        await expect(screen.locator("#connection")).to_have_attribute(
            "data-state", "online", timeout=SLOW
        )
        first = opening.bidders[0]
        await first.client.decrypt(opening.tender, "1", first.sealed)
        await expect(screen.locator("#stat-decrypted")).to_have_text("1 / 3", timeout=SLOW)
        assert await screen.evaluate("window.__sameDocument") == "still here"
    finally:
        await opening.close()
