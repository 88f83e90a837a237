"""After the opening: the big screen follows the evaluation and shows the result and reasons."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browsing import LAPTOP_SIZE, SLOW, Browsers, Shooter, opening_in_decryption
from hall import check_hall
from playwright.async_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def test_screen_and_tender_page_show_the_result_and_the_publicity_period(
    browsers: Browsers, hub_process: Any, screenshot: Shooter
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        ["980000.00", "1010000.00", "995000.00"],
    )
    try:
        host, tender = opening.host, opening.tender
        await opening.publish_record()

        screen = await browsers.page("screen")
        laptop = await browsers.page("screen-laptop", size=LAPTOP_SIZE)
        for page in (screen, laptop):
            await page.goto(f"/screen/{tender}")
            await expect(page.locator("#record")).to_be_visible()
        await check_hall([screen, laptop], screenshot, "closed")

        await host.command(tender, "set_evaluation_stage", {"stage": "technical"})
        await expect(screen.locator("#evaluation-stage")).to_have_text("技术评审", timeout=SLOW)
        # The stage began while the screen watched, so it can count the time spent in it.
        await expect(screen.locator("#countdown-caption")).to_have_text("本阶段已用时")
        await check_hall([screen, laptop], screenshot, "evaluation")
        await host.command(tender, "set_evaluation_stage", {"stage": "report"})
        await expect(screen.locator("#evaluation-stage")).to_have_text("评标报告", timeout=SLOW)

        winner, second, third = (bidder.client.bidder_id for bidder in opening.bidders)
        reasons = await opening.publish_sample_result()
        result = screen.locator("#results article[data-lot='1']")
        # Bidders are named by organisation, as registered (投标人N有限公司 in the script).
        await expect(result.locator("h3")).to_contain_text("中标候选人公示", timeout=SLOW)
        for reason in reasons.values():
            await expect(result).to_contain_text(reason["text"])
        # The candidates in rank order with their scores, then the rejected bid and its clause.
        ranking = result.locator("tbody tr")
        await expect(ranking).to_have_text(
            [
                re.compile(f"^第1中标候选人\\s+投标人1有限公司\\s+{winner}\\s+得分：95.50$"),
                re.compile(f"^第2中标候选人\\s+投标人3有限公司\\s+{third}\\s+得分：90.00$"),
                re.compile(f"^否决投标\\s+投标人2有限公司\\s+{second}\\s+第3.2条 报价高于"),
            ],
            use_inner_text=True,
        )
        # The status is the publicity's, beside its countdown.
        await expect(screen.locator("#phase-label")).to_have_text("公示中")
        await expect(screen.locator("#countdown-caption")).to_have_text("公示期剩余")
        await check_hall([screen, laptop], screenshot, "result")

        public = await browsers.page("tender")
        await public.goto(f"/tender/{tender}")
        await expect(public.locator("#results")).to_contain_text("报价高于最高投标限价")
        await expect(public.locator("#phase")).to_have_text("公示中")
        await expect(public.locator("#countdown-caption")).to_have_text("公示期剩余")
        # Three days of publicity: the countdown names days.
        await expect(public.locator("#countdown")).to_contain_text("天")
        await screenshot(public, "result")

        # The front page lists the tender as its page says it: the publicity's status with
        # the time left, which runs on without a reload; in English too.
        index = await browsers.page("index")
        await index.goto("/")
        listed = index.locator(f'[data-tender="{tender}"]')
        await expect(listed.locator("[data-role=status]")).to_have_text("公示中", timeout=SLOW)
        left = listed.locator("[data-role=publicity-left]")
        await expect(left).to_have_text(re.compile(r"^公示期剩余：2 ?天"))
        shown = await left.inner_text()
        await expect(left).not_to_have_text(shown)
        await index.click("#lang-switch")
        await expect(listed.locator("[data-role=status]")).to_have_text("Publicity running")
        await expect(left).to_have_text(re.compile(r"^Publicity period left: 2"))
        await screenshot(index, "result-listed")
    finally:
        await opening.close()
