"""The strict content policy breaks no page: every page loads and works with no violation reported.

Real Chromium against a real hub: each page is loaded (the host console and the bidder
room also signed in and used), the sealing worker is started, and the policy's own
violation reports (`securitypolicyviolation`, console) must stay empty.
"""

from __future__ import annotations

import aiohttp
import pytest
from hostile_kit import WatchedPage, host_and_tender, watched_page
from playwright.async_api import Browser, expect

from hubprocess import HubProcess

pytestmark = pytest.mark.browser

SLOW = 30_000


async def _settle(watched: WatchedPage) -> None:
    """Give the page's modules, sockets and timers a moment, then read what it reported."""
    await watched.page.wait_for_load_state("load")
    await watched.page.wait_for_timeout(800)


async def test_every_page_runs_under_the_policy(
    chromium: Browser, hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    _api, tender = await host_and_tender(hub_process, hub_client)
    watched = await watched_page(chromium, hub_process.base_url)
    page = watched.page
    for path in ("/", f"/tender/{tender}", f"/screen/{tender}", f"/camera?session={tender}"):
        await page.goto(path)
        await _settle(watched)
        assert await watched.violations() == [], path
    # The screen and the tender page really ran (their modules drew the tender).
    await page.goto(f"/screen/{tender}")
    await expect(page.locator("#connection")).to_have_attribute(
        "data-state", "online", timeout=SLOW
    )

    # The host console, signed in: forms, the session, its timeline and controls.
    await page.goto("/host")
    await page.fill("#login-username", hub_process.host_user)
    await page.fill("#login-password", hub_process.host_password)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#console")).to_be_visible(timeout=SLOW)
    await page.click(f"[data-tender='{tender}'] button")
    await expect(page.locator("#session")).to_be_visible(timeout=SLOW)
    await _settle(watched)
    assert await watched.violations() == [], "/host"

    # The bidder room, registered with keys made in the page, and its sealing worker.
    await page.goto("/bidder")
    await page.fill("#reg-org", "甲建设集团")
    await page.fill("#reg-contact", "张三 139")
    await page.fill("#reg-passphrase", "a good passphrase")
    await page.fill("#reg-passphrase2", "a good passphrase")
    async with page.expect_download():
        await page.click("#register-form button[type=submit]")
    await expect(page.locator("#workspace")).to_be_visible(timeout=SLOW)
    started = await page.evaluate(
        """() => new Promise((resolve) => {
          const worker = new Worker("/static/js/workers/seal-worker.js", { type: "module" });
          worker.addEventListener("error", () => resolve(false));
          setTimeout(() => { worker.terminate(); resolve(true); }, 1500);
        })"""
    )
    assert started, "the sealing worker did not start under the policy"
    await _settle(watched)
    assert await watched.violations() == [], "/bidder"
    assert watched.errors == []


async def test_the_policy_is_enforced_not_only_sent(
    chromium: Browser, hub_process: HubProcess
) -> None:
    """Script injected as markup does not run: the check above can see a violation."""
    watched = await watched_page(chromium, hub_process.base_url)
    page = watched.page
    await page.goto("/")
    await _settle(watched)
    ran = await page.evaluate(
        """() => new Promise((resolve) => {
          window.__ran = false;
          const script = document.createElement("script");
          script.textContent = "window.__ran = true;";
          document.body.append(script);
          const styled = document.createElement("p");
          styled.setAttribute("style", "color: red");
          document.body.append(styled);
          setTimeout(() => resolve(window.__ran), 300);
        })"""
    )
    assert ran is False
    found = await watched.violations()
    assert any(v.startswith("script-src") for v in found), found
    assert any(v.startswith("style-src") for v in found), found
