"""The bidder room shows the published result with this bidder's own reason; the host console
lists the opened bid documents and downloads them."""

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


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def bidder_login(page: Page, bidder_id: str, key_file: Path, tender: str) -> None:
    await signed_in_bidder(page, bidder_id, key_file, PASSPHRASE, tender)


async def test_bidder_room_shows_the_result_and_host_console_the_documents(
    browsers: Browsers, hub_process: Any, screenshot: Shooter, tmp_path: Path
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
        for stage in STAGES:
            await host.command(tender, "set_evaluation_stage", {"stage": stage})

        # 投标人2 loses: it signs in to its room with its key file before the result is out.
        loser = opening.bidders[1].client
        key_file, _ = await asyncio.to_thread(
            write_key_dir, tmp_path / "keys", loser.keys, PASSPHRASE, 1000
        )
        page = await browsers.page("bidder")
        await bidder_login(page, loser.bidder_id, key_file, tender)
        await expect(page.locator("#record-card")).to_be_visible(timeout=SLOW)
        await expect(page.locator("#result-card")).to_be_hidden()

        _, second, _ = (bidder.client.bidder_id for bidder in opening.bidders)
        await opening.publish_sample_result()
        # It arrives live: what the result says of this bidder first, with its own reason.
        own = page.locator("#own-results li[data-lot='1']")
        await expect(own).to_have_text(
            "第1标段：您的投标被否决：第3.2条 报价高于最高投标限价", timeout=SLOW
        )
        await expect(own).to_have_attribute("data-outcome", "rejected")
        # Then the whole result, as the tender page shows it, bidders by organisation.
        ranking = page.locator("#bidder-result-list article[data-lot='1'] tbody tr")
        await expect(ranking).to_have_text(
            [
                re.compile("^第1中标候选人\\s+投标人1有限公司.*得分：95.50$"),
                re.compile("^第2中标候选人\\s+投标人3有限公司.*得分：90.00$"),
                re.compile("^否决投标\\s+投标人2有限公司.*第3.2条 报价高于"),
            ],
            use_inner_text=True,
        )
        await screenshot(page, "bidder-result")
        await page.click("#lang-switch")
        await expect(own).to_have_text(
            re.compile("your bid was rejected: 第3.2条 报价高于最高投标限价")
        )
        await expect(page.locator("#result-heading")).to_have_text("Evaluation result")

        # The host console lists the three opened documents and downloads one, checked.
        console = await browsers.page("host")
        await host_login(console, hub_process.host_user, hub_process.host_password)
        await console.click(f"#tender-list li[data-tender='{tender}'] button")
        rows = console.locator("#documents-table tbody tr")
        await expect(rows).to_have_count(3, timeout=SLOW)
        row = console.locator(f"#documents-table tbody tr[data-bidder='{second}']")
        await expect(row).to_contain_text("投标人2有限公司")
        await expect(row).to_contain_text("12 B")
        async with console.expect_download() as download:
            await row.locator("button").click()
        saved = await download.value
        assert saved.suggested_filename == f"1-{second}-document.bin"
        path = await saved.path()
        assert await asyncio.to_thread(Path(path).read_bytes) == b"bid document"
        await expect(console.locator("#documents-message")).to_have_class("message ok")
        await screenshot(console, "host-documents")
        assert not browsers.uncaught()
    finally:
        await opening.close()
