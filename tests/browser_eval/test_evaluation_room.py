"""The evaluation room in Chromium: camera page to big screen over WebRTC, stages, the result."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from browsing import SLOW, Browsers, Shooter, host_login
from evaluation_kit import LOT, OpenedSession, run_opening
from hall import check_hall
from hubtesting import HubApi
from playwright.async_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A fingerprint of the picture a <video> shows now: the fake camera moves, a still does not.
PICTURE = """(selector) => {
  const video = document.querySelector(selector);
  if (!video || video.videoWidth === 0) return null;
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 36;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let hash = 0;
  for (let i = 0; i < pixels.length; i += 1) hash = (hash * 31 + pixels[i]) >>> 0;
  return hash;
}"""

# Width over height of what a <video> shows.
SHAPE = "(sel) => document.querySelector(sel).videoWidth / document.querySelector(sel).videoHeight"


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


@pytest.fixture
async def hub_api(hub_process: Any) -> AsyncIterator[HubApi]:
    async with aiohttp.ClientSession(base_url=hub_process.base_url) as http:
        yield HubApi(http)


async def go_live(browsers: Browsers, hub_process: Any, session_id: str, name: str) -> Page:
    """A host opens the camera page, signs in, checks the preview and goes live."""
    camera = await browsers.page(name)
    await camera.goto(f"/camera?session={session_id}")
    await camera.fill("#login-username", hub_process.host_user)
    await camera.fill("#login-password", hub_process.host_password)
    await camera.press("#login-password", "Enter")
    await expect(camera.locator("#camera")).to_be_visible()
    await expect(camera.locator("#session-select")).to_have_value(session_id)
    await camera.click("#preview-start")
    await expect(camera.locator("#preview-frame")).to_have_attribute("data-video-state", "preview")
    await camera.click("#publish-start")
    for fact in ("#publish-state", "#viewer-state"):
        await expect(camera.locator(fact)).to_have_attribute("data-state", "live", timeout=SLOW)
    return camera


async def assert_playing(page: Page, panel: str = "#video") -> None:
    """The panel says live, its video's clock advances and its picture moves."""
    await expect(page.locator(panel)).to_have_attribute("data-video-state", "live", timeout=SLOW)
    video = f"{panel} video"
    await expect(page.locator(video)).to_be_visible()
    started = await page.evaluate(f"document.querySelector('{video}').currentTime")
    await page.wait_for_function(
        "([selector, started]) => document.querySelector(selector).currentTime > started + 1",
        arg=[video, started],
        timeout=SLOW,
    )
    await page.wait_for_function(f"({PICTURE})('{video}') !== null", timeout=SLOW)
    first = await page.evaluate(PICTURE, video)
    await page.wait_for_function(
        f"([selector, first]) => ({PICTURE})(selector) !== first", arg=[video, first], timeout=SLOW
    )


async def panel_says(page: Page, state: str, text: str, panel: str = "#video") -> None:
    await expect(page.locator(panel)).to_have_attribute("data-video-state", state, timeout=SLOW)
    await expect(page.locator(f"{panel} .video-status-text")).to_have_text(text)


async def test_camera_page_publishes_and_the_big_screen_plays_it(
    browsers: Browsers, hub_process: Any, hub_api: HubApi, screenshot: Shooter
) -> None:
    await hub_api.login_host(hub_process.host_user, hub_process.host_password)
    session_id = (await hub_api.create_tender(deadline_in=3600))["id"]
    screen = await browsers.page("screen")
    await screen.goto(f"/screen/{session_id}")
    await panel_says(screen, "not_started", "直播尚未开始")
    await expect(screen.locator("#video")).to_be_hidden()

    camera = await go_live(browsers, hub_process, session_id, "camera")
    # The viewer's picture is the camera's: its shape (the sender may scale it down while its
    # bitrate ramps up), not the 4:3 slate the relay sends when nothing is live.
    camera_shape = await camera.evaluate(SHAPE, "#preview")
    await assert_playing(screen)
    assert abs(await screen.evaluate(SHAPE, "#video video") - camera_shape) < 0.02
    await expect(screen.locator("#video .video-status-text")).to_have_text("直播中")
    await screenshot(camera, "camera")
    # Before the opening the picture shares the screen with the countdown.
    await check_hall([screen], screenshot, "scheduled-live")
    # Everything below happens in this same document: nobody reloads the big screen.
    await screen.evaluate("window.__sameDocument = true")

    # The publisher drops without a word (its tab is gone): the screen says so.
    await camera.context.close()
    await panel_says(screen, "interrupted", "信号中断，正在恢复…")
    await expect(screen.locator("#video video")).to_be_visible()
    await check_hall([screen], screenshot, "interrupted")

    # Another camera page takes over: the screen resumes by itself.
    second = await go_live(browsers, hub_process, session_id, "camera-2")
    await assert_playing(screen)

    # A deliberate stop is an end, not an interruption; going live again resumes.
    await second.click("#publish-stop")
    await expect(second.locator("#publish-state")).to_have_attribute("data-state", "stopped")
    await expect(second.locator("#viewer-state")).to_have_attribute(
        "data-state", "idle", timeout=SLOW
    )
    await panel_says(screen, "ended", "直播已结束")
    await check_hall([screen], screenshot, "ended")
    await second.click("#publish-start")
    await expect(second.locator("#publish-state")).to_have_attribute(
        "data-state", "live", timeout=SLOW
    )
    await assert_playing(screen)
    assert await screen.evaluate("window.__sameDocument") is True

    # The tender's public page is a viewer too.
    public = await browsers.page("public")
    await public.goto(f"/tender/{session_id}")
    await assert_playing(public)


def shown_as(session: OpenedSession, name: str) -> str:
    """A bidder as pages name it: by organisation once views carry names, else by id."""
    return f"{re.escape(name)}|{session.named(name).id}"


async def publish_through_the_form(host: Page, session: OpenedSession, screenshot: Shooter) -> None:
    """The host ranks 乙 and 甲 as the first two candidates and rejects 丙 under a clause."""
    form = host.locator(f"#result-card form[data-lot='{LOT}']")
    await expect(form).to_be_visible(timeout=SLOW)
    await expect(host.locator("#result-card .result-when")).to_contain_text("签名公示后")
    order = ("乙路桥公司", "甲建设集团")
    for rank, name in enumerate(order, start=1):
        row = form.locator(f"tr[data-bidder='{session.named(name).id}']")
        await row.locator("select[name=rank]").select_option(str(rank))
    first = form.locator(f"tr[data-bidder='{session.named(order[0]).id}']")
    await expect(first.locator("input[name=clause]")).to_be_disabled()

    # A bid that is neither a candidate nor given its reason is caught in the page.
    await form.locator("button[type=submit]").click()
    third = shown_as(session, "丙工程有限公司")
    await expect(form.locator(".message")).to_have_text(
        re.compile(f"^请为“({third})”选择中标候选人排名或非候选人原因。$")
    )
    row = form.locator(f"tr[data-bidder='{session.named('丙工程有限公司').id}']")
    await expect(row.locator("select[name=rank]")).to_have_attribute("aria-invalid", "true")
    # A rejection without its clause is caught too.
    await row.locator("select[name=disposition]").select_option("rejected")
    await row.locator("textarea[name=text]").fill("评标价最高，且未提供投标保证金。")
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".message")).to_have_text(re.compile("须写明招标文件条款"))
    await row.locator("input[name=clause]").fill("第三章 2.2.4(1)")
    await form.locator("input[name=publicity_days]").fill("3")
    await screenshot(host, "host-result-form")
    await form.locator("button[type=submit]").click()
    await expect(host.locator("#session-message")).to_have_class("message ok", timeout=SLOW)
    await expect(form).to_be_hidden(timeout=SLOW)


async def test_published_result_reaches_the_big_screen_and_the_tender_page(
    browsers: Browsers, hub_process: Any, hub_api: HubApi, screenshot: Shooter
) -> None:
    session = await run_opening(hub_api, hub_process.host_user, hub_process.host_password)
    tid = session.tender_id
    screen = await browsers.page("screen")
    await screen.goto(f"/screen/{tid}")
    public = await browsers.page("public", size={"width": 1366, "height": 768})
    await public.goto(f"/tender/{tid}")
    await go_live(browsers, hub_process, tid, "camera")

    host = await browsers.page("host")
    await host_login(host, hub_process.host_user, hub_process.host_password)
    await host.click(f"#tender-list li[data-tender='{tid}'] button")
    # The console's camera link opens the camera page on the session the host runs.
    await expect(host.locator("#camera-link")).to_have_attribute("href", f"/camera?session={tid}")
    stage = host.locator("#controls form[data-command=set_evaluation_stage]")
    await expect(stage).to_be_visible(timeout=SLOW)
    await stage.locator("select[name=stage]").select_option("report")
    await stage.locator("button[type=submit]").click()
    await expect(screen.locator("#evaluation-stage")).to_have_text("评标报告", timeout=SLOW)
    # The evaluation room's picture, large, beside the stage and its clock.
    await assert_playing(screen)
    await check_hall([screen], screenshot, "evaluation-live")
    status, _ = await hub_api.call("GET", f"/api/sessions/{tid}/results/{LOT}")
    assert status == 404

    await publish_through_the_form(host, session, screenshot)
    # The console shows what it published: the first candidate by name, the rejection.
    host_result = host.locator("#results-card")
    first = host_result.locator("tr.candidate").first
    await expect(first).to_contain_text("乙路桥公司", timeout=SLOW)
    await expect(host_result).to_contain_text("评标价最高，且未提供投标保证金。")

    # The big screen shows the result with every reason, next to the live picture.
    results = screen.locator("#results")
    await expect(results).to_be_visible(timeout=SLOW)
    await expect(results).to_contain_text(re.compile(shown_as(session, "乙路桥公司")))
    await expect(results).to_contain_text("第2中标候选人")
    await expect(results).to_contain_text("第三章 2.2.4(1) 评标价最高，且未提供投标保证金。")
    await assert_playing(screen)
    # The result takes the screen now; the picture goes smaller beside it.
    await check_hall([screen], screenshot, "result-live")

    # The tender's public page counts the publicity period down from three days.
    public_results = public.locator("#results")
    await expect(public_results).to_contain_text("评标价最高，且未提供投标保证金。", timeout=SLOW)
    await expect(public.locator("#countdown-caption")).to_have_text("公示期剩余")
    await expect(public.locator("#countdown")).to_have_text(re.compile(r"^2天 23:\d\d:\d\d$"))
    await screenshot(public, "tender-result")

    # The signed result is what the form sent.
    _, document = await hub_api.call("GET", f"/api/sessions/{tid}/results/{LOT}", expect=200)
    assert document["type"] == "evaluation-result"
