"""The PDF buttons: the tender page's record and result links each download a PDF."""

from __future__ import annotations

from typing import Any

import pytest
from browsing import SLOW, Browsers, Shooter, opening_in_decryption
from playwright.async_api import Locator, Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def downloaded(page: Page, link: Locator) -> tuple[str, bytes]:
    async with page.expect_download(timeout=SLOW) as event:
        await link.click()
    download = await event.value
    path = await download.path()
    return download.suggested_filename, path.read_bytes()


async def test_record_and_result_buttons_download_pdfs(
    browsers: Browsers, hub_process: Any, screenshot: Shooter
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        ["980000.00", "1010000.00", "995000.00"],
    )
    try:
        tender = opening.tender
        await opening.publish_record()
        page = await browsers.page("tender")
        await page.goto(f"/tender/{tender}")
        record_link = page.locator("#record .record-pdf")
        await expect(record_link).to_be_visible(timeout=SLOW)
        await expect(record_link).to_have_text("下载开标记录表（PDF）")
        name, pdf = await downloaded(page, record_link)
        assert name == f"{tender}-opening-record.pdf" and pdf.startswith(b"%PDF-")

        await opening.host.command(tender, "set_evaluation_stage", {"stage": "report"})
        await opening.publish_sample_result()
        result_link = page.locator("#results article[data-lot='1'] .result-pdf a")
        await expect(result_link).to_be_visible(timeout=SLOW)
        await screenshot(page, "result-pdf-links")
        name, pdf = await downloaded(page, result_link)
        assert name == f"{tender}-result-1.pdf" and pdf.startswith(b"%PDF-")
    finally:
        await opening.close()
