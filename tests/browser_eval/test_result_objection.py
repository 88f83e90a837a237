"""A published result with three candidates, one bid rejected (否决投标) and a failed lot
(流标); the rejected bidder objects from its room, the host answers from the console, and the
answer reaches the tender page."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from browsing import SLOW, Browsers, Shooter, host_login, opening_in_decryption
from browsing import bidder_login as signed_in_bidder
from playwright.async_api import Page, expect

from bidseal import write_key_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSPHRASE = "口令-for-the-test"
STAGES = ("qualification", "technical", "commercial", "scoring", "report")
OBJECTION = "我公司已按时提交投标保证金（附银行回单），否决理由不成立，请复核。"
ANSWER = "经复核，保证金到账时间晚于投标截止时间，维持否决投标的评审结论。"


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def bidder_login(page: Page, bidder_id: str, key_file: Path, tender: str) -> None:
    await signed_in_bidder(page, bidder_id, key_file, PASSPHRASE, tender)


async def test_a_bidder_objects_to_the_result_and_the_answer_reaches_the_tender_page(
    browsers: Browsers, hub_process: Any, screenshot: Shooter, tmp_path: Path
) -> None:
    # Lot 1: four bids; lot 2: three bids, all of which the evaluation rejects (流标).
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        ["980000.00", "1010000.00", "995000.00", "1200000.00", "500000.00", "510000.00", "1.00"],
        lots=["1", "1", "1", "1", "2", "2", "2"],
    )
    try:
        host, tender = opening.host, opening.tender
        await opening.publish_record()
        for stage in STAGES:
            await host.command(tender, "set_evaluation_stage", {"stage": stage})
        ids = [bidder.client.bidder_id for bidder in opening.bidders]
        rejected = {
            "disposition": "rejected",
            "clause": "第二章 3.1.2(4)",
            "text": "未提供投标保证金",
        }
        await host.command(
            tender,
            "publish_result",
            {
                "lot": "1",
                "outcome": "candidates",
                "candidates": [
                    {"bidder": ids[0], "price": "980000.00", "score": "95.50"},
                    {"bidder": ids[2], "price": "995000.00", "score": "93.00"},
                    {"bidder": ids[1], "price": "1010000.00", "score": "90.25"},
                ],
                "reasons": {ids[3]: rejected},
            },
        )
        await host.command(
            tender,
            "publish_result",
            {
                "lot": "2",
                "outcome": "failed",
                "reasons": {bidder: rejected for bidder in ids[4:]},
                "failure": "所有投标均被否决，本标段依法重新招标。",
            },
        )

        # The tender page: both lots, one term each, the publicity's status.
        public = await browsers.page("tender")
        await public.goto(f"/tender/{tender}")
        lot_one = public.locator("#results article[data-lot='1']")
        await expect(lot_one.locator("h3")).to_contain_text("中标候选人公示", timeout=SLOW)
        await expect(lot_one.locator("tbody tr .result-outcome")).to_have_text(
            ["第1中标候选人", "第2中标候选人", "第3中标候选人", "否决投标"]
        )
        await expect(lot_one).to_contain_text("980,000.00")
        lot_two = public.locator("#results article[data-lot='2']")
        await expect(lot_two.locator("h3")).to_contain_text("流标（重新招标）")
        await expect(lot_two).to_contain_text("所有投标均被否决")
        await expect(public.locator("#phase")).to_have_text("公示中")
        await expect(lot_one.locator(".result-publicity")).to_have_attribute(
            "data-status", "running"
        )

        # The rejected bidder objects from its room.
        objector = opening.bidders[3].client
        key_file, _ = await asyncio.to_thread(
            write_key_dir, tmp_path / "keys", objector.keys, PASSPHRASE, 1000
        )
        room = await browsers.page("bidder")
        await bidder_login(room, objector.bidder_id, key_file, tender)
        own = room.locator("#own-results li[data-lot='1']")
        await expect(own).to_have_text(
            "第1标段：您的投标被否决：第二章 3.1.2(4) 未提供投标保证金", timeout=SLOW
        )
        form = room.locator("#result-objection-form")
        await expect(form).to_be_visible()
        await form.locator("button[type=submit]").click()  # empty: refused, nothing sent
        await expect(room.locator("#result-objection-message")).to_have_text("请填写异议内容。")
        await expect(room.locator("#result-objection-text")).to_have_attribute(
            "aria-invalid", "true"
        )
        await room.fill("#result-objection-text", OBJECTION)
        await form.locator("button[type=submit]").click()
        await expect(room.locator("#result-objection-message")).to_contain_text("3 日内答复")
        await screenshot(room, "result-objection")

        # The host sees it live with the date its answer is due, and answers it.
        console = await browsers.page("host")
        await host_login(console, hub_process.host_user, hub_process.host_password)
        await console.click(f"#tender-list li[data-tender='{tender}'] button")
        item = console.locator("#result-objection-list li[data-objection='R1']")
        await expect(item).to_contain_text(OBJECTION, timeout=SLOW)
        await expect(item.locator(".due")).to_contain_text("答复期限")
        await item.locator("textarea").fill(ANSWER)
        await item.locator("button[type=submit]").click()
        await expect(item).to_have_attribute("data-state", "answered", timeout=SLOW)
        await screenshot(console, "result-objection-answered")

        # The answer reaches the tender page live, under the objection it answers.
        answered = lot_one.locator(".result-objections li[data-objection='R1']")
        await expect(answered).to_contain_text(OBJECTION, timeout=SLOW)
        await expect(answered.locator(".answer")).to_contain_text(ANSWER, timeout=SLOW)
        await expect(room.locator("#bidder-result-list")).to_contain_text(ANSWER, timeout=SLOW)
        await screenshot(public, "result-objection")
        await public.click("#lang-switch")
        await expect(lot_one.locator("h3")).to_contain_text("Candidates published")
        await expect(public.locator("#phase")).to_have_text("Publicity running")
        await expect(lot_two.locator("h3")).to_contain_text(re.compile("Failed tender"))
        assert not browsers.uncaught()
    finally:
        await opening.close()
