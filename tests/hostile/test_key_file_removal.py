"""A bidder can remove its key file from the browser, and is asked at log-out while it is kept.

Real Chromium against a real hub: the key file is made and stored by the bidder room
(IndexedDB), then removed at log-out, from the login form, or kept on request.
"""

from __future__ import annotations

from typing import Any

import pytest
from hostile_kit import watched_page
from playwright.async_api import Browser, Page, expect

from hubprocess import HubProcess

pytestmark = pytest.mark.browser

SLOW = 30_000


async def stored_key_files(page: Page) -> list[dict[str, Any]]:
    found = await page.evaluate("import('/static/js/vault.js').then((v) => v.listKeyFiles())")
    assert isinstance(found, list)
    return found


async def register(page: Page, org: str) -> str:
    await page.goto("/bidder")
    await page.fill("#reg-org", org)
    await page.fill("#reg-contact", "张三 139")
    await page.fill("#reg-passphrase", "a good passphrase")
    await page.fill("#reg-passphrase2", "a good passphrase")
    async with page.expect_download():
        await page.click("#register-form button[type=submit]")
    await expect(page.locator("#workspace")).to_be_visible(timeout=SLOW)
    return str(await page.evaluate("window.bidopenBidder.bidderId()"))


async def test_log_out_on_a_shared_computer_removes_the_key_file(
    chromium: Browser, hub_process: HubProcess
) -> None:
    watched = await watched_page(chromium, hub_process.base_url)
    page = watched.page
    bidder = await register(page, "甲建设集团")
    assert [k["bidderId"] for k in await stored_key_files(page)] == [bidder]
    await expect(page.locator("#forget-key")).to_be_visible()

    # Asked at log-out; "cancel" stays signed in.
    await page.click("#logout")
    dialog = page.locator("#logout-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("共用电脑")
    await page.click("#logout-dialog button[value=cancel]")
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#workspace")).to_be_visible()

    # "Remove and log out": signed out, and nothing of the key is left in the browser.
    await page.click("#logout")
    await page.click("#logout-dialog button[value=forget]")
    await expect(page.locator("#login-form")).to_be_visible(timeout=SLOW)
    assert await stored_key_files(page) == []
    options = await page.locator("#login-stored option").evaluate_all(
        "(os) => os.map(o => o.value)"
    )
    assert options == [""], "only 'log in with a key file' is left"
    assert watched.errors == []


async def test_a_kept_key_file_can_be_removed_later(
    chromium: Browser, hub_process: HubProcess
) -> None:
    watched = await watched_page(chromium, hub_process.base_url)
    page = watched.page
    page.on("dialog", lambda question: question.accept())  # "are you sure?": yes
    first = await register(page, "甲建设集团")
    await page.click("#logout")
    await page.click("#logout-dialog button[value=keep]")
    await expect(page.locator("#login-form")).to_be_visible(timeout=SLOW)
    second = await register(page, "乙工程有限公司")

    # From the workspace: the signed-in bidder's own key file.
    await page.click("#forget-key")
    await expect(page.locator("#key-notice")).to_contain_text("已从本浏览器删除")
    await expect(page.locator("#forget-key")).to_be_hidden()
    assert [k["bidderId"] for k in await stored_key_files(page)] == [first]
    # Nothing is kept any more: log-out asks nothing.
    await page.click("#logout")
    await expect(page.locator("#login-form")).to_be_visible(timeout=SLOW)
    await expect(page.locator("#logout-dialog")).to_be_hidden()

    # From the login form: the key file kept earlier.
    await page.select_option("#login-stored", first)
    await expect(page.locator("#forget-stored")).to_be_visible()
    await page.click("#forget-stored")
    await expect(page.locator("#login-message")).to_contain_text("已从本浏览器删除")
    assert await stored_key_files(page) == []
    assert second != first
    assert watched.errors == []
