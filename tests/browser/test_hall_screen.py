"""The big screen with a crowd: two dozen bidders with long names, objections before the read-out,
a long ranking; every phase in one 1920x1080 screenful (or a laptop's), paged, never cut off."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browsing import LAPTOP_SIZE, SLOW, Browsers, Shooter, opening_in_decryption
from hall import check_hall, every_page
from playwright.async_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CITIES = "东西南北中"
# Long organisation names wrap in the table: the pages must still hold whole rows.
NAMES = [f"{CITIES[n % 5]}城第{n}市政道路桥梁建设工程集团有限公司" for n in range(1, 25)]
LOTS = ["1"] * 13 + ["2"] * 11
PRICES = [f"{1_000_000 + 7_919 * n}.{n:02d}" for n in range(1, 25)]
# As the read-out shows them: with separators (and 大写 beneath).
SHOWN_PRICES = [f"{1_000_000 + 7_919 * n:,}.{n:02d}" for n in range(1, 25)]
OBJECTION = (
    "第{n}号异议：解密页面在提交数据密钥后长时间无响应，"
    "请主持人核实平台日志并说明是否顺延解密时限。"
)
ANSWER = "已核实平台日志，数据密钥已收到，无需顺延。"


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def public_text(page: Page) -> str:
    return await page.locator("body").inner_text()


# The record hash's box, line height and groups. It may wrap between groups, so a box one
# line high is a hash on one line.
HASH_BOX = """() => {
  const hash = document.getElementById("record-hash");
  return {
    height: hash.getBoundingClientRect().height,
    line: parseFloat(getComputedStyle(hash).lineHeight),
    groups: [...hash.querySelectorAll(".hash-group")].map((group) => group.textContent),
    text: hash.innerText,
  };
}"""


async def assert_hash_on_one_line(screens: list[Page]) -> None:
    """The published record's SHA-256 reads as one line of eight groups of eight digits."""
    for page in screens:
        box: Any = await page.evaluate(HASH_BOX)
        assert len(box["groups"]) == 8, box
        assert all(re.fullmatch(r"[0-9a-f]{8}", group) for group in box["groups"]), box
        assert box["text"] == "".join(box["groups"]), box
        assert abs(box["height"] - box["line"]) < 1, (page.viewport_size, box)


async def test_a_crowded_opening_fits_the_hall_in_every_phase(
    browsers: Browsers, hub_process: Any, screenshot: Shooter
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        PRICES,
        names=NAMES,
        lots=LOTS,
    )
    try:
        host, tender = opening.host, opening.tender
        ids = [bidder.client.bidder_id for bidder in opening.bidders]
        screen = await browsers.page("screen")
        laptop = await browsers.page("screen-laptop", size=LAPTOP_SIZE)
        public = await browsers.page("tender")
        for page in (screen, laptop):
            await page.goto(f"/screen/{tender}")
            await expect(page.locator("#stat-decrypted")).to_have_text("0 / 24")
        await public.goto(f"/tender/{tender}")
        await check_hall([screen, laptop], screenshot, "decryption")

        # Six objections during decryption, two answered at once: the hall reads them, newest
        # first, without learning who objected (that would say who bid).
        raised = []
        for n, scripted in enumerate(opening.bidders[:6], start=1):
            raised.append(await scripted.client.object(tender, OBJECTION.format(n=n), scripted.lot))
        for objection in raised[:2]:
            await host.answer_objection(tender, objection, ANSWER)
        items = screen.locator("#objection-list li")
        await expect(items).to_have_count(6, timeout=SLOW)
        await expect(public.locator("#objection-list li")).to_have_count(6, timeout=SLOW)
        await expect(items.first).to_contain_text("第6号异议")
        await expect(items.first).to_contain_text("待答复")
        await expect(items.last).to_contain_text("无需顺延")
        for page in (screen, laptop, public):
            text = await public_text(page)
            assert not [name for name in NAMES if name in text]
            assert not [account for account in ids if account in text]
        shown = [row for page in await every_page(screen, "objections") for row in page]
        assert len(shown) == 6 and all("某投标人" in row for row in shown), shown
        await check_hall([screen, laptop], screenshot, "decryption-objections")

        # Every bid decrypted, the read-out: 24 rows in two lots, paged on the hall's screen.
        for scripted in opening.bidders:
            await scripted.client.decrypt(tender, scripted.lot, scripted.sealed)
        await host.close_decryption(tender)
        await expect(screen.locator("#readout")).to_be_visible(timeout=SLOW)
        await expect(screen.locator("#readout-page")).to_have_text(re.compile(r"^第 1/\d+ 页$"))
        pages = await every_page(screen, "readout")
        assert len(pages) > 1
        rows = [row for page in pages for row in page]
        assert len(rows) == 24
        for name, account, price in zip(NAMES, ids, SHOWN_PRICES, strict=True):
            assert any(name in row and account in row and price in row for row in rows), name
        await every_page(laptop, "readout")
        # From the read-out on the objectors are named, on the screen and the tender page.
        for page in (screen, laptop):
            await expect(page.locator("#objection-list")).to_contain_text(NAMES[5], timeout=SLOW)
        await expect(public.locator("#objection-list")).to_contain_text(NAMES[0], timeout=SLOW)
        await check_hall([screen, laptop], screenshot, "readout")

        for objection in raised[2:]:
            await host.answer_objection(tender, objection, ANSWER)
        for scripted in opening.bidders:
            await scripted.client.confirm(tender)
        await host.close_confirmation(tender)
        await host.publish_record(tender)
        await expect(screen.locator("#record-verified")).to_contain_text("已用服务器公钥验证")
        await check_hall([screen, laptop], screenshot, "closed")
        await assert_hash_on_one_line([screen, laptop])

        # The result of lot 1: three candidates, ten bids not ranked, paged if need be.
        await host.command(tender, "set_evaluation_stage", {"stage": "report"})
        await expect(screen.locator("#evaluation-stage")).to_have_text("评标报告", timeout=SLOW)
        await check_hall([screen, laptop], screenshot, "evaluation")
        await assert_hash_on_one_line([screen, laptop])
        lot_one = ids[:13]
        reasons = {
            bidder: {"disposition": "not_ranked", "text": f"评标价高于前三名，综合排名第{rank}。"}
            for rank, bidder in enumerate(lot_one[3:], start=4)
        }
        candidates = [{"bidder": bidder} for bidder in lot_one[:3]]
        body = {"lot": "1", "outcome": "candidates", "candidates": candidates, "reasons": reasons}
        await host.command(tender, "publish_result", {**body, "publicity_days": 3})
        await expect(screen.locator("#results")).to_be_visible(timeout=SLOW)
        await expect(screen.locator("#results tr.candidate").first).to_contain_text(NAMES[0])
        await expect(screen.locator("#countdown-caption")).to_have_text("公示期剩余")
        ranking = [row for page in await every_page(screen, "results") for row in page]
        assert [row.split()[0] for row in ranking] == [
            "第1中标候选人",
            "第2中标候选人",
            "第3中标候选人",
        ] + ["未入围"] * 10
        assert "综合排名第13。" in ranking[-1] and NAMES[12] in ranking[-1]
        await every_page(laptop, "results")
        await check_hall([screen, laptop], screenshot, "result")
        await assert_hash_on_one_line([screen, laptop])
    finally:
        await opening.close()
