"""Every page: two languages, the keyboard, text never parsed as HTML, hall and laptop sizes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from accessibility import serious_violations
from browsing import (
    LAPTOP_SIZE,
    SCREEN_SIZE,
    Browsers,
    Shooter,
    register_with_new_keys,
    soon,
)
from playwright.async_api import Page, expect

from bidopen.client import HostClient, LotSpec, TenderDraft

pytestmark = pytest.mark.browser

HOSTILE_TITLE = '<img src=x onerror="window.__injected=1">桥梁<b>加固</b>工程'

# Controls without a name a screen reader can say; empty means every control is named.
UNNAMED_CONTROLS = """
() => [...document.querySelectorAll('button, input, select, textarea, a[href]')]
  .filter((node) => node.offsetParent !== null)
  .filter((node) => {
    const label = node.labels?.length ? [...node.labels].map((l) => l.textContent).join('') : '';
    const name = (node.getAttribute('aria-label') || label || node.textContent || node.title || '');
    return name.trim() === '';
  })
  .map((node) => node.outerHTML.slice(0, 80))
"""


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def create_tender(
    base_url: str, user: str, password: str, title: str, *, lead_s: float = 3600
) -> str:
    host = HostClient(base_url)
    try:
        await host.login(user, password)
        draft = TenderDraft(
            title=title, lots=(LotSpec(id="1", name="第一标段"),), deadline=soon(lead_s)
        )
        return (await host.create_tender(draft)).id
    finally:
        await host.close()


def page_paths(tender: str) -> dict[str, str]:
    return {
        "index": "/",
        "bidder": "/bidder",
        "host": "/host",
        "screen": f"/screen/{tender}",
        "tender": f"/tender/{tender}",
        "verify": "/verify",
    }


async def check_page(page: Page) -> None:
    assert await page.evaluate("document.documentElement.lang") == "zh-CN"
    # Nothing sticks out sideways, at the hall's size or a laptop's.
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert await page.evaluate(UNNAMED_CONTROLS) == []
    assert await serious_violations(page) == []


async def test_every_page_renders_named_and_unclipped(
    browsers: Browsers, hub_process: Any, screenshot: Shooter
) -> None:
    tender = await create_tender(
        hub_process.base_url, hub_process.host_user, hub_process.host_password, "体育中心改造工程"
    )
    for size in (SCREEN_SIZE, LAPTOP_SIZE):
        for name, path in page_paths(tender).items():
            page = await browsers.page(name, size=size)
            await page.goto(path)
            await page.wait_for_load_state("networkidle")
            await check_page(page)
            await screenshot(page, f"{name}-{size['width']}x{size['height']}")
            await page.context.close()


async def test_language_switch_and_keyboard(browsers: Browsers, hub_process: Any) -> None:
    tender = await create_tender(
        hub_process.base_url, hub_process.host_user, hub_process.host_password, "体育中心改造工程"
    )
    screen = await browsers.page("screen")
    await screen.goto(f"/screen/{tender}")
    await expect(screen.locator("#phase-label")).to_have_text("等待开标")

    # The language switch is reachable from the keyboard and shows where the focus is.
    for _ in range(10):
        await screen.keyboard.press("Tab")
        if await screen.evaluate("document.activeElement.id") == "lang-switch":
            break
    else:
        pytest.fail("Tab never reached the language switch")
    outline = await screen.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # Its name holds what it shows, the other language's name spoken in that language.
    switch = screen.locator("#lang-switch")
    await expect(switch).to_have_accessible_name("切换语言 English")
    await expect(switch.locator("span[lang=en]")).to_have_text("English")
    await screen.keyboard.press("Enter")
    assert await screen.evaluate("document.documentElement.lang") == "en"
    await expect(switch).to_have_accessible_name("Switch language 中文")
    await expect(screen.locator("#phase-label")).to_have_text("Waiting for the opening")
    await expect(screen.locator("#speech-toggle")).to_have_text("Mute")

    # The choice is remembered by the next page, which starts in English.
    bidder = await screen.context.new_page()
    await bidder.goto("/bidder")
    assert await bidder.evaluate("document.documentElement.lang") == "en"
    await expect(bidder.locator("#login-form h2")).to_have_text("Log in")
    await bidder.close()

    # The mute switch is a toggle button that says its state.
    await screen.click("#speech-toggle")
    await expect(screen.locator("#speech-toggle")).to_have_attribute("aria-pressed", "false")
    await expect(screen.locator("#speech-toggle")).to_have_text("Read aloud")


async def test_text_from_users_is_shown_as_text(browsers: Browsers, hub_process: Any) -> None:
    tender = await create_tender(
        hub_process.base_url, hub_process.host_user, hub_process.host_password, HOSTILE_TITLE
    )
    screen = await browsers.page("screen")
    await screen.goto(f"/screen/{tender}")
    await expect(screen.locator("#tender-title")).to_have_text(HOSTILE_TITLE)
    public = await browsers.page("tender")
    await public.goto(f"/tender/{tender}")
    await expect(public.locator("#tender-heading")).to_have_text(HOSTILE_TITLE)
    index = await browsers.page("index")
    await index.goto("/")
    await expect(index.locator("#tender-list")).to_contain_text(HOSTILE_TITLE)
    for page in (screen, public, index):
        assert await page.evaluate("window.__injected") is None
        assert await page.locator("main img, main b").count() == 0


async def test_countdown_follows_the_server_clock_not_the_computers(
    browsers: Browsers, hub_process: Any
) -> None:
    tender = await create_tender(
        hub_process.base_url, hub_process.host_user, hub_process.host_password, "体育中心改造工程"
    )
    screen = await browsers.page("screen")
    # This PC's clock is two hours fast; the deadline is an hour away on the server's.
    await screen.clock.install(time=datetime.now(UTC) + timedelta(hours=2))
    await screen.goto(f"/screen/{tender}")
    countdown = screen.locator("#countdown")
    await expect(countdown).to_have_text(re.compile(r"^5\d:\d\d$"))


async def test_the_front_page_lists_a_new_tender_without_a_reload(
    browsers: Browsers, hub_process: Any
) -> None:
    index = await browsers.page("index")
    await index.goto("/")
    await expect(index.locator("#tender-list")).to_be_visible()
    # Not a demo hub: no pace is stated.
    await expect(index.locator("#demo-pace")).to_be_hidden()
    title = f"前台实时列表 {datetime.now(UTC):%H%M%S%f}"
    tender = await create_tender(
        hub_process.base_url, hub_process.host_user, hub_process.host_password, title
    )
    row = index.locator(f'[data-tender="{tender}"]')
    await expect(row).to_contain_text(title, timeout=15_000)
    await expect(row.locator(".badge")).to_have_text("等待开标")


async def test_the_accessibility_check_finds_what_it_must(browsers: Browsers) -> None:
    # The check every browser test ends with, against a page known to be wrong.
    page = await browsers.page("broken")
    await page.set_content('<html lang="zh-CN"><body><main><img src="x.png"></main></body>')
    found = await serious_violations(page)
    assert any(line.startswith("image-alt (critical)") for line in found), found


async def test_the_bidder_room_says_the_time_left_and_keeps_the_focus_on_its_news(
    browsers: Browsers, hub_process: Any
) -> None:
    # The countdown is a silent timer; a minute before the deadline the room says so aloud.
    tender = await create_tender(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        "供水厂扩建工程",
        lead_s=85,
    )
    page = await browsers.page("bidder")
    await page.goto(f"/bidder?tender={tender}")
    await register_with_new_keys(page, "丙水务工程有限公司", "王五 139", "passphrase-C-1")
    # After login the focus is on the tender's heading, not on the whole page.
    await expect(page.locator("#tender-heading")).to_be_focused()
    alert = page.locator("#time-left-alert[role=status]")
    await expect(alert).to_have_text("距投标截止（开标）：还有 1 分钟", timeout=90_000)
