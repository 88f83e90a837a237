"""A whole opening in real browsers: host, two bidders and the big screen, tender to record."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from browsing import (
    LAPTOP_SIZE,
    SLOW,
    Browsers,
    Shooter,
    create_tender,
    downloaded_json,
    focus_is_in,
    host_command,
    host_login,
    keygen,
    public_view,
    register_with_key_file,
    register_with_new_keys,
    seal_with_cli,
    soon,
)
from hall import check_hall
from playwright.async_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Registration, sealing and uploads of both bidders must fit before the deadline.
LEAD_TIME_S = 45

# Replaces speechSynthesis before the page runs, so the test hears what the hall would.
RECORD_SPEECH = """
window.__spoken = [];
window.speechSynthesis.speak = (utterance) => { window.__spoken.push(utterance.text); };
"""


@pytest.fixture
def hub_process(shared_hub: object) -> object:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def wait_for_phase(page: Page, text: str) -> None:
    await expect(page.locator("#phase")).to_contain_text(text, timeout=90_000)


async def assert_names_nobody(pages: list[Page], names: list[str]) -> None:
    """Before the read-out the public pages say nothing of who bid: no name, no account id."""
    for page in pages:
        text = await page.locator("body").inner_text()
        assert [name for name in names if name in text] == [], page.url


async def test_whole_opening_across_browsers(
    browsers: Browsers, hub_process: object, tmp_path: Path, screenshot: Shooter
) -> None:
    started = time.monotonic()
    base_url: str = hub_process.base_url  # type: ignore[attr-defined]

    # The host creates the tender in the console.
    host = await browsers.page("host")
    await host_login(host, hub_process.host_user, hub_process.host_password)  # type: ignore[attr-defined]
    title = "市第一人民医院门诊楼改造工程施工"
    tender = await create_tender(host, title, soon(LEAD_TIME_S))
    assert re.fullmatch(r"ZB-\d{4}-\d{6}", tender)

    screen = await browsers.page("screen")
    await screen.add_init_script(RECORD_SPEECH)
    await screen.goto(f"/screen/{tender}")
    await expect(screen.locator("#tender-title")).to_have_text(title)
    await expect(screen.locator("#connection")).to_have_attribute("data-state", "online")
    # The same screen on a laptop: it may scroll there, but nothing may be cut off.
    laptop = await browsers.page("screen-laptop", size=LAPTOP_SIZE)
    await laptop.goto(f"/screen/{tender}")
    await expect(laptop.locator("#connection")).to_have_attribute("data-state", "online")
    screens = [screen, laptop]
    await check_hall(screens, screenshot, "scheduled")

    # Bidder A: keys made in the browser, the document sealed in the browser.
    a = await browsers.page("bidder-a")
    await a.goto(f"/bidder?tender={tender}")
    bidder_a = await register_with_new_keys(a, "甲建设工程有限公司", "张三 138", "passphrase-A-1")
    document = tmp_path / "投标文件A.pdf"
    document.write_bytes(b"%PDF-1.7 bid of A " * 30_000)
    await a.set_input_files("#submit-document", str(document))
    await a.fill("#item-price", "1234567.89")
    await a.fill("#item-duration_days", "180")
    await a.click("#submit-button")
    await expect(a.locator("#submit-message")).to_have_class("message ok", timeout=SLOW)
    # The focus lands on what the submission said, not on <body>.
    await expect(a.locator("#submit-message")).to_be_focused()
    # Both bars reached the end: every byte was sealed, then every sealed byte sent.
    for bar in ("#seal-progress-bar", "#upload-progress-bar"):
        done = await a.eval_on_selector(bar, "bar => bar.value === bar.max && bar.max > 1")
        assert done, bar
    await expect(a.locator("#my-bids tbody tr[data-status=current]")).to_have_count(1)
    async with a.expect_download() as receipt_download:
        await a.click("#my-bids tbody tr[data-status=current] button >> nth=0")
    receipt = await downloaded_json(await receipt_download.value)
    assert receipt["type"] == "receipt"
    assert json.loads(receipt["payload"])["bidder"] == bidder_a
    await a.click("#rehearsal-button")
    await expect(a.locator("#rehearsal-message")).to_have_class("message ok", timeout=SLOW)
    await a.click("#signin-button")
    await expect(a.locator("#signin-status")).to_contain_text("已签到")
    await focus_is_in(a, "#opening-card")
    # The phase, the sign-in, the decryption list and the read-out tell a screen reader
    # when they change (the host's log does not: it would talk over the host's work).
    for live in ("#phase[role=status]", "#signin-status[role=status]"):
        await expect(a.locator(live)).to_have_count(1)
    for live in ("#decrypt-list", "#readout-tables"):
        await expect(a.locator(live)).to_have_attribute("aria-live", "polite")
    await expect(host.locator("#timeline")).not_to_have_attribute("aria-live", re.compile("."))

    # Bidder B: a key file from `bidopen keygen`, a file sealed by `bidopen seal`.
    b = await browsers.page("bidder-b")
    await b.goto(f"/bidder?tender={tender}")
    key_file = keygen(tmp_path / "keys-b", "passphrase-B-2")
    bidder_b = await register_with_key_file(b, "乙市政集团", "李四 139", key_file, "passphrase-B-2")
    document_b = tmp_path / "bid-b.pdf"
    document_b.write_bytes(b"%PDF-1.7 bid of B " * 5_000)
    items_b = {"price": "1180000.00", "duration_days": "150"}
    sealed_b = seal_with_cli(
        key_file.parent, document_b, f"{tender}/1/{bidder_b}", items_b, tmp_path / "b.bidseal"
    )
    await b.check("#mode-sealed")
    await b.set_input_files("#submit-sealed", str(sealed_b))
    await b.click("#submit-button")
    await expect(b.locator("#submit-message")).to_have_class("message ok", timeout=SLOW)

    # Before the deadline the host and the public learn nothing about who bid, or how many.
    await expect(host.locator("#bids-table tbody")).to_contain_text("投标截止前")
    await expect(screen.locator("#stat-bids")).to_have_text("—")
    for page, name in (
        (host, "host-before"),
        (a, "bidder-a-before"),
        (b, "bidder-b-before"),
        (screen, "screen-before"),
    ):
        await screenshot(page, name)
    assert time.monotonic() - started < LEAD_TIME_S, "too slow to submit before the deadline"

    # The deadline: two bids, so the host must decide whether the lot continues.
    await wait_for_phase(host, "不足三家")
    # Each room proves, in its own browser, that its kept receipt's bid is in the public log.
    for page in (a, b):
        proof = page.locator("#log-proof")
        await expect(proof).to_contain_text("您的投标已记入公开日志 #", timeout=SLOW)
        await expect(proof).to_have_class("message ok standing")
    await expect(screen.locator("#stat-bids")).to_have_text("2")
    await expect(screen.locator("#stat-signed-in")).to_have_text("1", timeout=SLOW)
    # Counts are public now; who bid is not, until the read-out.
    secrets = ["甲建设工程有限公司", "乙市政集团", bidder_a, bidder_b]
    tender_page = await browsers.page("tender")
    await tender_page.goto(f"/tender/{tender}")
    await assert_names_nobody([screen, laptop, tender_page], secrets)
    await check_hall(screens, screenshot, "quorum")
    quorum = host.locator("#controls form[data-lot='1']")
    await quorum.locator("textarea").fill("招标文件第2.3条允许两家投标人继续开标")
    await quorum.locator("button[data-choice=continue]").click()
    await host_command(host, "start_decryption")
    await expect(screen.locator("#phase-label")).to_contain_text("解密")
    # The rehearsal was for before the deadline.
    await expect(a.locator("#rehearsal-card")).to_be_hidden()

    # The host pauses (the countdown freezes everywhere), resumes, and extends the window.
    await host_command(host, "pause", reason="投标人反映网络中断，暂停核实")
    await expect(a.locator("#phase")).to_contain_text("已暂停")
    await expect(screen.locator("#countdown-caption")).to_contain_text("暂停核实")
    await check_hall(screens, screenshot, "paused")
    await host_command(host, "resume")
    await expect(a.locator("#decrypt-list button")).to_be_enabled()
    # Leaving the room in the window asks first; a reload comes back to the same tender, the
    # passphrase asked again (the key stays encrypted in this browser).
    asks = "() => { const e = new Event('beforeunload', {cancelable: true}); "
    asks += "window.dispatchEvent(e); return e.defaultPrevented; }"
    assert await a.evaluate(asks) is True
    await a.reload()
    assert f"tender={tender}" in a.url
    await a.fill("#login-passphrase", "passphrase-A-1")
    await a.click("#login-form button[type=submit]")
    await expect(a.locator("#workspace")).to_be_visible(timeout=SLOW)
    await expect(a.locator("#tender-select")).to_have_value(tender)
    await expect(a.locator("#decrypt-list button")).to_be_enabled()
    await host_command(host, "extend_decryption", minutes="5", reason="网络恢复，顺延五分钟")
    # The host typed minutes; the hub counts seconds; the hall reads minutes again.
    notice = screen.locator("#notice")
    await expect(notice).to_contain_text("解密时间延长 5 分钟：网络恢复，顺延五分钟")
    await check_hall(screens, screenshot, "decryption")

    # Each bidder unwraps its data key in its own browser; prices stay hidden until all are in.
    await b.click("#signin-button")
    for page in (a, b):
        await page.locator("#decrypt-list button").click()
        await expect(page.locator("#decrypt-message")).to_have_class("message ok", timeout=SLOW)
        await expect(page.locator("#decrypt-message")).to_be_focused()
    await expect(screen.locator("#stat-decrypted")).to_have_text("2 / 2", timeout=SLOW)
    await expect(screen.locator("#readout")).to_be_hidden()
    assert "1234567.89" not in await screen.locator("body").inner_text()
    await assert_names_nobody([screen, laptop, tender_page], secrets)
    await check_hall(screens, screenshot, "decrypted")

    # The read-out appears everywhere at once, and the hall hears it in Chinese.
    await host_command(host, "close_decryption")
    rows = screen.locator("#readout tbody tr")
    await expect(rows).to_have_count(2, timeout=SLOW)
    # The read-out names organisations, not account ids.
    await expect(screen.locator("#readout")).to_contain_text("甲建设工程有限公司")
    await expect(screen.locator("#readout")).to_contain_text("乙市政集团")
    # Amounts with separators and in capitals (大写).
    await expect(screen.locator("#readout")).to_contain_text("1,234,567.89")
    await expect(screen.locator("#readout")).to_contain_text("壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分")
    await expect(screen.locator("#readout")).to_contain_text("1,180,000.00")
    # The hall hears each organisation with its items.
    spoken = await screen.evaluate("window.__spoken")
    assert any(
        "甲建设工程有限公司" in line and "1234567.89 元" in line and "180 日历天" in line
        for line in spoken
    ), spoken
    assert any("乙市政集团" in line and "1180000.00 元" in line for line in spoken), spoken
    # Each row names the organisation, its account id small beside it.
    row_a = screen.locator(f"#readout tbody tr[data-bidder={bidder_a}]")
    await expect(row_a.locator(".bidder-name")).to_have_text("甲建设工程有限公司")
    await expect(row_a.locator(".bidder-id")).to_have_text(bidder_a)
    for page in (a, b, host):
        await expect(page.locator("#readout-tables tbody tr")).to_have_count(2)
    await expect(host.locator(f"#bids-table tr[data-bidder={bidder_b}] th")).to_contain_text(
        "乙市政集团"
    )
    await check_hall(screens, screenshot, "readout")

    # A confirms; B objects, the host answers on the spot, then B confirms too.
    await a.click("#confirm-button")
    await expect(a.locator("#confirm-message")).to_have_class("message ok")
    # An empty objection is refused on its field, marked and focused, until B writes it.
    objection = b.locator("#objection-text")
    await b.click("#objection-form button[type=submit]")
    await expect(b.locator("#confirm-message")).to_have_text("请填写异议内容。")
    await expect(objection).to_have_attribute("aria-invalid", "true")
    await expect(objection).to_be_focused()
    await objection.fill("乙方工期应为150日历天，请核对。")
    await expect(objection).not_to_have_attribute("aria-invalid", "true")
    await expect(b.locator("#confirm-message")).to_be_hidden()
    await b.click("#objection-form button[type=submit]")
    await expect(b.locator("#confirm-message")).to_have_class("message ok")
    # The hall sees the objection at once, and who raised it (the read-out named every bidder),
    # awaiting its answer; so does the tender page.
    await expect(screen.locator("#objection-list")).to_contain_text("乙市政集团")
    await expect(screen.locator("#objection-list li").first).to_contain_text("待答复")
    await expect(tender_page.locator("#objection-list")).to_contain_text("乙方工期应为150日历天")
    await expect(host.locator("#objection-list li").first).to_contain_text("乙市政集团")
    await check_hall(screens, screenshot, "objection")
    answer = host.locator("#objection-list li[data-state=open]")
    # An empty answer is refused: the message names the field, which is marked and focused;
    # both go away once the host types.
    await answer.locator("button[type=submit]").click()
    message = host.locator("#session-message")
    await expect(message).to_have_class("message error")
    await expect(message).to_contain_text("答复")
    answer_text = answer.locator("textarea")
    await expect(answer_text).to_have_attribute("aria-invalid", "true")
    await expect(answer_text).to_be_focused()
    await answer_text.fill("已核对投标文件，工期为150日历天，唱标无误。")
    await expect(answer_text).not_to_have_attribute("aria-invalid", "true")
    await expect(message).to_be_hidden()
    await answer.locator("button[type=submit]").click()
    await expect(b.locator("#my-objections")).to_contain_text("唱标无误", timeout=SLOW)
    await b.click("#confirm-button")
    await expect(b.locator("#confirm-message")).to_have_class("message ok")
    await host_command(host, "close_confirmation")
    await host_command(host, "publish_record")

    # The signed record: published, verified in every browser, downloadable.
    verified = "已用服务器公钥验证"
    await expect(screen.locator("#record-verified")).to_contain_text(verified, timeout=SLOW)
    record_hash = await screen.locator("#record-hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", record_hash)
    await expect(screen.locator("#objection-list")).to_contain_text("唱标无误")
    await check_hall(screens, screenshot, "closed")
    for page in (host, a, b):
        await expect(page.locator("#record-hash")).to_have_text(record_hash)
        await expect(page.locator("#record-verified")).to_contain_text(verified)
    async with host.expect_download() as record_download:
        await host.click("#record-download")
    record = await downloaded_json(await record_download.value)
    assert record["type"] == "opening-record"
    payload = json.loads(record["payload"])
    answers = [objection["answer"] for objection in payload["objections"]]
    assert answers == ["已核对投标文件，工期为150日历天，唱标无误。"]
    assert {bid["bidder"] for bid in payload["bids"]} == {bidder_a, bidder_b}

    # The screen folded every pushed event into exactly the view the hub would send now.
    server = await public_view(base_url, tender)
    folded = await screen.evaluate("window.bidopenScreen.view()")
    assert {key: folded.get(key) for key in server} == server

    await expect(tender_page.locator("#record-hash")).to_have_text(record_hash)
    # The record's bids, read for people: each organisation with its id and its stance.
    record_b = tender_page.locator(f"#record-summary tr[data-bidder={bidder_b}]")
    await expect(record_b).to_contain_text("乙市政集团")
    await expect(record_b).to_contain_text(bidder_b)
    await expect(record_b).to_contain_text("已确认")
    for page, name in (
        (host, "host-closed"),
        (a, "bidder-a-closed"),
        (b, "bidder-b-closed"),
        (screen, "screen-closed"),
        (tender_page, "tender-closed"),
    ):
        await screenshot(page, name)
