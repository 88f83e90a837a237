"""The big screen with a crowd: two dozen bidders with long names, objections before the read-out,
a long ranking; every phase in one 1920x1080 screenful (or a laptop's), paged, never cut off."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browsing import (
    LAPTOP_SIZE,
    SCREEN_SIZE,
    SLOW,
    Browsers,
    Shooter,
    opening_in_decryption,
)
from hall import assert_nothing_wraps, check_hall, every_page, settled
from playwright.async_api import Page, ViewportSize, expect

from bidopen.client.errors import ClientError

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


# 30 bids, every organisation name 40 characters long, amounts whose 大写 is as long as
# eight-digit prices make it.
CROWD = 30
FORTY = [
    (
        f"{CITIES[n % 5]}城第{n}号"
        + "市政道路桥梁隧道综合管廊水利水电园林绿化建设工程集团股份有限公司"
    )[:40]
    for n in range(1, CROWD + 1)
]
LONG_PRICES = [f"{98_765_400 + n}.{n:02d}" for n in range(1, CROWD + 1)]
SMALL_HALL_SIZE: ViewportSize = {"width": 1280, "height": 720}
SIZES = [SCREEN_SIZE, LAPTOP_SIZE, SMALL_HALL_SIZE]

# The screen shows a view of the test's choosing: the crowded one, cut to `count` bids, with
# the objections panel or the record panel beside the read-out.
SHOW_VARIANT = """([count, panel]) => {
  const screen = window.bidopenScreen;
  screen.feed.stop();
  const whole = screen.whole ?? (screen.whole = screen.view());
  const readout = whole.readout.map((lot) => ({ ...lot, lines: lot.lines.slice(0, count) }));
  screen.showView({
    ...whole,
    readout,
    hall: whole.hall.slice(0, count),
    objections: panel === "objections" ? whole.objections : [],
    record: panel === "record" ? whole.record : null,
  });
}"""


# Every status a hall row can say, each beside "not signed in" and beside "signed in": before
# the decryption's end (waiting, decrypted, failed, a platform fault, a stopped lot) and from
# it on (opened, 视为撤回 or 视为撤销 with each cause; an item's value not of its type names
# the item, whose label may be long). The rows before the read-out name nobody.
HALL_STATES = """([count, phase]) => {
  const screen = window.bidopenScreen;
  screen.feed.stop();
  const whole = screen.whole ?? (screen.whole = screen.view());
  const item = whole.readout_items.at(-1).key;
  const outcome = (status, cause) => ({ outcome: { status, cause, item } });
  const states = [
    {}, { decrypted: true }, { failed_attempts: 12 }, { platform_fault: true },
    { lot_stopped: true }, outcome("opened", "decrypted"),
    outcome("withdrawn", "platform_fault"), outcome("withdrawn", "not_decrypted"),
    outcome("revoked", "key_rejected"), outcome("revoked", "not_signed_in"),
    outcome("revoked", "value_not_of_type"), outcome("withdrawn", "not_signed_in"),
  ];
  const hall = whole.hall.slice(0, count).map(({ bidder, bidder_name, ...row }, index) => ({
    ...row,
    signed_in: index >= states.length,
    decrypted: false,
    failed_attempts: 0,
    platform_fault: false,
    lot_stopped: false,
    outcome: null,
    ...states[index % states.length],
  }));
  // The objections (named from the read-out on) go under the clock, not beside the rows.
  const cleared = { readout: null, record: null, results: [], objections: [] };
  screen.showView({ ...whole, ...cleared, phase, hall });
}"""

# The hall's cells that say less than they should: a row's number cut short, a status
# shortened without its whole text as the cell's title and accessible name.
HALL_CELLS = """() => {
  const problems = [];
  for (const row of document.querySelectorAll("#hall-tables tbody tr")) {
    if (row.closest("[hidden]") || !row.getBoundingClientRect().height) continue;
    const who = row.querySelector("th");
    if (who.scrollWidth > who.clientWidth + 1) problems.push(`cut: ${who.textContent}`);
    const status = row.querySelector("td.hall-decryption");
    const full = status.title || status.textContent;
    if (status.title && status.getAttribute("aria-label") !== status.title) {
      problems.push(`no accessible name: ${status.textContent}`);
    }
    if (!full.startsWith(status.textContent.split(/[（(]/)[0])) {
      problems.push(`title ${full} does not say ${status.textContent}`);
    }
  }
  return problems;
}"""


async def hall_rows_text(page: Page) -> list[str]:
    return [row for shown in await every_page(page, "hall") for row in shown]


async def test_the_hall_follows_every_bid_and_nothing_wraps(
    browsers: Browsers, hub_process: Any, screenshot: Shooter
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        LONG_PRICES,
        names=FORTY,
    )
    try:
        host, tender = opening.host, opening.tender
        screen = await browsers.page("screen")
        await screen.goto(f"/screen/{tender}")
        # From the deadline a row per bid, numbered in receipt order, nobody named.
        await expect(screen.locator("#hall")).to_be_visible(timeout=SLOW)
        rows = await hall_rows_text(screen)
        assert len(rows) == CROWD
        assert [row.split()[:2] for row in rows] == [["投标人", str(n)] for n in range(1, 31)]
        assert all("已签到" in row and "待解密" in row for row in rows), rows[:3]
        text = await public_text(screen)
        assert not [name for name in FORTY if name in text]
        await check_hall([screen], screenshot, "rows")

        # Live, without a reload: a decryption, a wrong key, a platform fault.
        first, second, third = opening.bidders[:3]
        await first.client.decrypt(tender, "1", first.sealed)
        with pytest.raises(ClientError) as refused:
            await second.client.send_data_key(tender, "1", bytes(32))
        assert refused.value.code == "wrong_data_key"
        await host.record_platform_fault(tender, third.client.bidder_id, "上传服务中断 5 分钟")
        row = screen.locator("#hall-tables tbody tr")
        await screen.evaluate("window.bidopenScreen.pagers.hall.show(0)")
        await expect(row.nth(0)).to_contain_text("已解密", timeout=SLOW)
        await expect(row.nth(1)).to_contain_text("解密失败 1 次（密钥错误）")
        await expect(row.nth(2)).to_contain_text("平台故障已记录")
        await expect(screen.locator("#stat-decrypted")).to_have_text("1 / 30")
        await check_hall([screen], screenshot, "rows-live")

        # The read-out names every bid; the third, hit by the platform, is 视为撤回 at the end.
        for scripted in opening.bidders[1:]:
            await scripted.client.decrypt(tender, "1", scripted.sealed)
        await host.close_decryption(tender)
        await expect(screen.locator("#readout")).to_be_visible(timeout=SLOW)
        await expect(screen.locator("#hall")).to_be_hidden()
        objection = await first.client.object(tender, "第三家投标文件的解密时间是否有误？", "1")
        await host.answer_objection(tender, objection, "已核实，解密时间无误。")
        for scripted in opening.bidders:
            await scripted.client.confirm(tender)
        await host.close_confirmation(tender)
        await host.publish_record(tender)
        await expect(screen.locator("#record-verified")).to_contain_text("已用服务器公钥验证")
        await expect(screen.locator("#log-qr")).to_be_visible()

        # Every size, both languages, beside the objections or the record, 1, 5 and 30 bids:
        # the states rendered from this one opening, each measured on every page it turns.
        measured = 0
        for size in SIZES:
            await screen.set_viewport_size(size)
            for language in ("zh-CN", "en"):
                if await screen.evaluate("document.documentElement.lang") != language:
                    await screen.click("#lang-switch")
                for panel in ("objections", "record"):
                    for count in (1, 5, CROWD):
                        await screen.evaluate(SHOW_VARIANT, [count, panel])
                        pages = await every_page(screen, "readout")
                        assert sum(len(shown) for shown in pages) == count
                        for index in range(len(pages)):
                            await screen.evaluate(
                                f"window.bidopenScreen.pagers.readout.show({index})"
                            )
                            measured += await assert_nothing_wraps(screen)
                        await screen.evaluate("window.bidopenScreen.pagers.readout.show(0)")
                        name = f"nowrap-{language}-{panel}-{count}-{size['width']}x{size['height']}"
                        await screenshot(screen, name)
        # Every value of every row was measured at least once in each state.
        assert measured >= 3 * 2 * 2 * (1 + 5 + CROWD) * 3

        # The hall's rows with every status they can say, at every size in both languages:
        # no cell wraps or is cut, the rows' numbers show whole, 24 px at 1920x1080 (the
        # pages' fit checks). A status shortened for its cell has its whole text as title.
        measured = 0
        titles: dict[str, set[str]] = {}
        for size in SIZES:
            await screen.set_viewport_size(size)
            for language in ("zh-CN", "en"):
                if await screen.evaluate("document.documentElement.lang") != language:
                    await screen.click("#lang-switch")
                for phase in ("decryption", "quorum_decision"):
                    await screen.evaluate(HALL_STATES, [CROWD, phase])
                    await expect(screen.locator("#hall")).to_be_visible()
                    await settled(screen)
                    pages = await every_page(screen, "hall")
                    assert sum(len(shown) for shown in pages) == CROWD, pages
                    for index in range(len(pages)):
                        await screen.evaluate(f"window.bidopenScreen.pagers.hall.show({index})")
                        measured += await assert_nothing_wraps(screen)
                        problems = await screen.evaluate(HALL_CELLS)
                        assert problems == [], f"{size} {language}: {problems}"
                        shortened = screen.locator("#hall-tables td.hall-decryption[title]")
                        for title in await shortened.evaluate_all(
                            "(cells) => cells.map((cell) => cell.title)"
                        ):
                            titles.setdefault(language, set()).add(title)
                    await screen.evaluate("window.bidopenScreen.pagers.hall.show(0)")
                    name = f"hall-states-{language}-{phase}-{size['width']}x{size['height']}"
                    await screenshot(screen, name)
        # Every cell of every row (head, sign-in, status) in each state, and the causes said
        # whole in the titles, in both languages.
        assert measured >= 3 * 2 * 2 * CROWD * 3
        assert any("的值不符合其类型" in title for title in titles["zh-CN"]), titles
        assert "Deemed withdrawn (Not decrypted in time)" in titles["en"], titles
    finally:
        await opening.close()
