"""Typed read-out items in Chromium: the bidder room refuses a value not of its type, naming
the item, and shows back what it sealed; the big screen reads amounts out with separators
and 大写, one line each, and flags an amount above the lot's ceiling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browsing import SLOW, Browsers, Shooter, opening_in_decryption, register_with_new_keys, soon
from playwright.async_api import expect

from bidopen.client import HostClient, LotSpec, TenderDraft

pytestmark = pytest.mark.browser


async def test_the_bidder_room_refuses_values_not_of_their_type(
    browsers: Browsers, hub_process: Any, tmp_path: Path, screenshot: Shooter
) -> None:
    host = HostClient(hub_process.base_url)
    await host.login(hub_process.host_user, hub_process.host_password)
    draft = TenderDraft(
        title="污水处理厂扩建工程",
        lots=(LotSpec(id="1", name="第一标段", ceiling="9000000.00"),),
        deadline=soon(3600),
    )
    tender = (await host.create_tender(draft)).id
    await host.close()

    page = await browsers.page("bidder")
    await page.goto(f"/bidder?tender={tender}")
    await register_with_new_keys(page, "戊环保科技有限公司", "钱七 135", "browser-passphrase")
    document = tmp_path / "bid.pdf"
    document.write_bytes(b"%PDF-1.7 bid " * 2_000)
    await page.set_input_files("#submit-document", str(document))
    await page.fill("#item-duration_days", "365")
    message = page.locator("#submit-message")
    for typed in ("三百二十万", "8,650,000", "-1"):
        await page.fill("#item-price", typed)
        await page.click("#submit-button")
        await expect(message).to_have_class("message error")
        await expect(message).to_contain_text("“投标报价（元）”须为以元为单位的金额")
        await expect(page.locator("#my-bids tr[data-status]")).to_have_count(0)
    await screenshot(page, "refused")
    await page.fill("#item-duration_days", "一年")
    await page.fill("#item-price", "8650000")
    await page.click("#submit-button")
    await expect(message).to_contain_text("“工期（日历天）”须为整数天数")

    await page.fill("#item-duration_days", "365")
    await page.click("#submit-button")
    await expect(message).to_have_class("message ok", timeout=SLOW)
    shown = page.locator("#submit-sealed-values")
    await expect(shown.locator("dd[data-item=price]")).to_have_text(
        "8,650,000.00（捌佰陆拾伍万元整）"
    )
    await expect(shown.locator("dd[data-item=duration_days]")).to_have_text("365")
    await screenshot(page, "sealed-values")


# Each amount's figures and 大写: the text and whether its box is one line high.
AMOUNT_BOXES = """() => [...document.querySelectorAll("#readout-tables td.amount")].map((cell) => {
  const box = (selector) => {
    const node = cell.querySelector(selector);
    return { text: node.textContent, lines: node.getBoundingClientRect().height
      / parseFloat(getComputedStyle(node).lineHeight) };
  };
  return { value: cell.dataset.value, above: cell.classList.contains("above-ceiling"),
           figures: box(".amount-figures"), capitals: box(".amount-capitals") };
})"""


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_the_screen_reads_amounts_out_with_separators_and_capitals(
    browsers: Browsers, hub_process: Any, screenshot: Shooter, lang: str
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        ["1007919.00", "8650000.00", "8650000.01"],
        ceiling="8650000.00",
    )
    try:
        screen = await browsers.page("screen")
        await screen.goto(f"/screen/{opening.tender}")
        if lang == "en":
            await screen.click("#lang-switch")
        for bidder in opening.bidders:
            await bidder.client.decrypt(opening.tender, bidder.lot, bidder.sealed)
        await opening.host.close_decryption(opening.tender)
        cells = screen.locator("#readout-tables td.amount")
        await expect(cells).to_have_count(3, timeout=SLOW)
        boxes = {box["value"]: box for box in await screen.evaluate(AMOUNT_BOXES)}
        assert {value: box["figures"]["text"] for value, box in boxes.items()} == {
            "1007919.00": "1,007,919.00",
            "8650000.00": "8,650,000.00",
            "8650000.01": "8,650,000.01",
        }
        assert boxes["1007919.00"]["capitals"]["text"] == "壹佰万柒仟玖佰壹拾玖元整"
        assert boxes["8650000.00"]["capitals"]["text"] == "捌佰陆拾伍万元整"
        assert boxes["8650000.01"]["capitals"]["text"] == "捌佰陆拾伍万元零壹分"
        assert [value for value, box in boxes.items() if box["above"]] == ["8650000.01"]
        for box in boxes.values():
            assert box["figures"]["lines"] < 1.5, box
        flag = "超过最高投标限价" if lang == "zh-CN" else "Above the ceiling price"
        await expect(screen.locator("td.above-ceiling .ceiling-flag")).to_have_text(flag)
        await screenshot(screen, f"readout-amounts-{lang}")
    finally:
        await opening.close()
