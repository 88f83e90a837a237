"""The first hour's edges, in Chromium: refusals that name and mark their field in the bidder
room and the host's form, one host sign-in for the console and the camera page, layouts that
do not wrap or cover, and the tender's parties and ceilings on the pages that show a tender."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browsing import (
    LAPTOP_SIZE,
    SCREEN_SIZE,
    SLOW,
    Browsers,
    Shooter,
    host_login,
    opening_in_decryption,
    register_with_new_keys,
    soon,
)
from hall import check_hall
from playwright.async_api import Locator, expect

from bidopen.client import HostClient, LotSpec, TenderDraft

pytestmark = pytest.mark.browser

BOX = "(n) => { const b = n.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }"


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def new_tender(hub: Any, title: str) -> str:
    host = HostClient(hub.base_url)
    try:
        await host.login(hub.host_user, hub.host_password)
        lots = (LotSpec(id="1", name="第一标段"),)
        draft = TenderDraft(title=title, lots=lots, deadline=soon(3600))
        return (await host.create_tender(draft)).id
    finally:
        await host.close()


async def refused(control: Locator, message: Locator, text: str) -> None:
    """The message says `text`; the control is marked invalid, points at it, has the focus."""
    await expect(message).to_have_text(text)
    await expect(message).to_have_class("message error")
    await expect(control).to_have_attribute("aria-invalid", "true")
    message_id = str(await message.get_attribute("id"))
    await expect(control).to_have_attribute("aria-errormessage", message_id)
    await expect(control).to_be_focused()


async def healed(control: Locator, message: Locator) -> None:
    """Once the field is edited the mark and the message are gone: they are no longer true."""
    await expect(control).not_to_have_attribute("aria-invalid", "true")
    await expect(message).to_be_hidden()


async def box(locator: Locator) -> list[float]:
    result: list[float] = await locator.evaluate(BOX)
    return result


async def test_the_bidder_room_names_and_marks_each_refused_field(
    browsers: Browsers, hub_process: Any, tmp_path: Path
) -> None:
    tender = await new_tender(hub_process, "城南污水处理厂提标改造工程")
    other = await new_tender(hub_process, "城南污水处理厂二期工程")
    page = await browsers.page("bidder")
    await page.goto(f"/bidder?tender={tender}")

    # Sign-in: a key file from disk needs the bidder id.
    login_message = page.locator("#login-message")
    await page.fill("#login-passphrase", "passphrase-X-1")
    await page.click("#login-form button[type=submit]")
    await refused(page.locator("#login-bidder-id"), login_message, "请填写投标人编号。")
    await page.fill("#login-bidder-id", "BD")
    await healed(page.locator("#login-bidder-id"), login_message)

    # Registration: the page's own checks, each on its field.
    message = page.locator("#register-message")
    org = page.locator("#reg-org")
    await page.click("#register-form button[type=submit]")
    await refused(org, message, "请填写单位名称。")
    await org.fill("丁水务工程有限公司\u202e")
    await healed(org, message)
    await page.fill("#reg-contact", "赵六 137")
    await page.fill("#reg-passphrase", "passphrase-D-1")
    await page.fill("#reg-passphrase2", "passphrase-D-2")
    await page.click("#register-form button[type=submit]")
    repeat = page.locator("#reg-passphrase2")
    await refused(repeat, message, "两次输入的口令不一致。")
    # The hub's refusal (a direction override in the name) names the field by its label.
    await page.fill("#reg-passphrase", "passphrase-D-1")
    await repeat.fill("passphrase-D-1")
    await page.click("#register-form button[type=submit]")
    await expect(message).to_contain_text("单位名称：", timeout=SLOW)
    await expect(org).to_have_attribute("aria-invalid", "true")
    # The earlier refusal's mark went with its message.
    await expect(repeat).not_to_have_attribute("aria-invalid", "true")
    await page.reload()
    await register_with_new_keys(page, "丁水务工程有限公司", "赵六 137", "passphrase-D-1")

    # Submission: the document, then a value not of its type.
    submit = page.locator("#submit-message")
    await page.click("#submit-button")
    await refused(page.locator("#submit-document"), submit, "请选择投标文件。")
    document = tmp_path / "bid.pdf"
    document.write_bytes(b"%PDF-1.7 bid " * 100)
    await page.set_input_files("#submit-document", str(document))
    await healed(page.locator("#submit-document"), submit)
    price = page.locator("#item-price")
    await price.fill("三百二十万")
    await page.fill("#item-duration_days", "180")
    await page.click("#submit-button")
    await expect(submit).to_contain_text("“投标报价（元）”须为以元为单位的金额")
    await expect(price).to_have_attribute("aria-invalid", "true")
    await expect(price).to_be_focused()
    await price.fill("3200000")
    await healed(price, submit)

    # In English the same refusal speaks English and marks the same field.
    await page.click("#lang-switch")
    await price.fill("8,650,000")
    await page.click("#submit-button")
    await expect(submit).to_contain_text('"Bid price (CNY)" must be an amount in yuan')
    await expect(price).to_have_attribute("aria-invalid", "true")
    # Another tender opened: what was said of this one's form is no longer true there.
    await page.select_option("#tender-select", other)
    await expect(page.locator("#tender-heading")).to_have_text("城南污水处理厂二期工程")
    await expect(submit).to_be_hidden()
    await expect(price).not_to_have_attribute("aria-invalid", "true")


async def test_the_host_form_speaks_of_labels_numbers_lots_and_marks_what_to_fix(
    browsers: Browsers, hub_process: Any, screenshot: Shooter
) -> None:
    page = await browsers.page("host", size=LAPTOP_SIZE)
    await host_login(page, hub_process.host_user, hub_process.host_password)
    form = page.locator("#create-form")
    # No technical names: the read-out items are shown by their labels only.
    values = await form.evaluate("(f) => [...f.querySelectorAll('input')].map((i) => i.value)")
    assert "price" not in values and "duration_days" not in values, values
    await expect(form.locator("#item-rows label")).not_to_contain_text(["字段名"])

    # 添加标段 suggests the next number and name; each lot's row keeps its button at its end.
    await page.click("#add-lot")
    second = page.locator("#lot-rows .lot-row").nth(1)
    await expect(second.locator("[name=lot-id]")).to_have_value("2")
    await expect(second.locator("[name=lot-name]")).to_have_value("第2标段")
    inputs = await box(second.locator("[name=lot-ceiling]"))
    button = await box(second.locator("button"))
    assert button[1] < inputs[3] and button[0] >= inputs[2], (inputs, button)

    # A refused field is named, marked and focused: here the new item's Chinese label.
    await page.click("#add-item")
    await page.fill("#create-title", "市第一人民医院门诊楼改造工程施工总承包（二次招标）")
    await page.click("#create-form button[type=submit]")
    third_zh = page.locator("#item-rows .item-row").nth(2).locator("[name=item-zh]")
    await refused(third_zh, page.locator("#create-message"), "每个唱标项都需要中文名称和英文名称。")
    await third_zh.fill("质保期（月）")
    await healed(third_zh, page.locator("#create-message"))
    await (
        page.locator("#item-rows .item-row")
        .nth(2)
        .locator("[name=item-en]")
        .fill("Warranty (months)")
    )
    await page.click("#create-form button[type=submit]")
    await expect(page.locator("#create-message")).to_have_class("message ok")
    await expect(page.locator("#session-title")).to_have_text(
        "市第一人民医院门诊楼改造工程施工总承包（二次招标）", timeout=SLOW
    )
    tender = await page.locator("#session-code").inner_text()
    body = await (await page.request.get(f"/api/tenders/{tender}")).json()
    assert [item["key"] for item in body["readout_items"]] == [
        "price",
        "duration_days",
        "warranty_months",
    ]
    assert [lot["id"] for lot in body["lots"]] == ["1", "2"]

    # The session's header: the title on one line while the card has room, the buttons at
    # the row's end rather than floating mid-card.
    title = page.locator("#session-title")
    height, line = await title.evaluate(
        "(h) => [h.getBoundingClientRect().height, parseFloat(getComputedStyle(h).lineHeight)]"
    )
    assert height < 1.5 * line, (height, line)
    await screenshot(page, "session-header")
    buttons = await box(page.locator("#session > .card .row > .actions"))
    card = await box(page.locator("#session > .card").first)
    assert card[2] - buttons[2] < 40, (card, buttons)


async def test_the_camera_page_takes_the_consoles_sign_in(
    browsers: Browsers, hub_process: Any, static_site: str
) -> None:
    console = await browsers.page("host")
    await host_login(console, hub_process.host_user, hub_process.host_password)
    token = await console.evaluate("sessionStorage.getItem('bidopen.host.token')")
    assert token

    # Another tab of the same browser: signed in already, and nothing asked that is missing.
    camera = await console.context.new_page()
    failed: list[str] = []
    camera.on("response", lambda r: r.status < 400 or failed.append(f"{r.status} {r.url}"))
    await camera.goto("/camera")
    await expect(camera.locator("#camera")).to_be_visible(timeout=SLOW)
    await expect(camera.locator("#login-form")).to_be_hidden()
    await camera.wait_for_load_state("networkidle")
    assert failed == []
    icon = await camera.evaluate("document.querySelector('link[rel=icon]').href")
    assert (await camera.request.get(icon)).ok

    # The preview's state sits under the picture, never over it.
    video = await box(camera.locator("#preview"))
    state = await box(camera.locator("#preview-frame .video-status"))
    assert state[1] >= video[3] - 1, (video, state)

    # The token is kept per tab and given only to this origin's tabs: nothing on disk, and a
    # page of another origin in the same browser that asks gets no answer.
    assert await camera.evaluate("document.cookie") == ""
    assert token not in str(await camera.evaluate("JSON.stringify(localStorage)"))
    foreign = await console.context.new_page()
    await foreign.goto(f"{static_site}/static/img/favicon.svg")
    heard = await foreign.evaluate(
        """() => new Promise((done) => {
          const channel = new BroadcastChannel("bidopen.host");
          const heard = [];
          channel.onmessage = (event) => heard.push(event.data);
          channel.postMessage({ type: "ask" });
          setTimeout(() => done(heard), 1000);
        })"""
    )
    assert heard == []
    await foreign.close()

    # Logging out in one tab signs the others out too: the token no longer works anywhere.
    await camera.click("#logout")
    await expect(camera.locator("#login-form")).to_be_visible(timeout=SLOW)
    await expect(console.locator("#login-form")).to_be_visible(timeout=SLOW)
    assert await console.evaluate("sessionStorage.getItem('bidopen.host.token')") is None


async def parties_shown(facts: Locator, lang: str) -> None:
    tenderer = facts.locator("dd[data-fact=tenderer]")
    await expect(tenderer).to_have_text("市卫生健康委员会")
    await expect(facts.locator("dd[data-fact=agency]")).to_have_text("华信招标代理有限公司")
    ceiling = facts.locator("dd[data-fact=ceiling]")
    await expect(ceiling.locator(".amount-figures")).to_have_text("9,000,000.00")
    await expect(ceiling.locator(".amount-capitals")).to_have_text("玖佰万元整")
    term = "最高投标限价（第1标段）" if lang == "zh-CN" else "Ceiling price (第1标段)"
    await expect(facts.locator("dt", has_text=term)).to_have_count(1)


async def test_the_tender_record_and_hall_show_the_parties_and_each_ceiling(
    browsers: Browsers, hub_process: Any, screenshot: Shooter
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        ["8800000.00", "8950000.00", "8700000.00"],
        ceiling="9000000.00",
        tenderer="市卫生健康委员会",
        agency="华信招标代理有限公司",
    )
    try:
        tender_page = await browsers.page("tender")
        await tender_page.goto(f"/tender/{opening.tender}")
        await parties_shown(tender_page.locator("#tender-facts"), "zh-CN")

        await opening.publish_record()
        record = tender_page.locator("#record-parties")
        await parties_shown(record, "zh-CN")
        english = await browsers.page("tender-en")
        await english.goto(f"/tender/{opening.tender}")
        await english.click("#lang-switch")
        assert await english.evaluate("document.documentElement.lang") == "en"
        await expect(english.locator("#record-parties dt").first).to_have_text("Tenderer")
        await parties_shown(english.locator("#record-parties"), "en")
        await parties_shown(english.locator("#tender-facts"), "en")

        screens = []
        for size in (SCREEN_SIZE, LAPTOP_SIZE):
            screen = await browsers.page(f"screen-{size['width']}", size=size)
            await screen.goto(f"/screen/{opening.tender}")
            await parties_shown(screen.locator("#record-parties"), "zh-CN")
            screens.append(screen)
        await check_hall(screens, screenshot, "record-parties")
    finally:
        await opening.close()
