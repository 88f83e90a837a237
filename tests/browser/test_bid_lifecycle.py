"""Before the deadline a bidder replaces and withdraws its bid; the browser's key file works in
the command line tools too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browsing import (
    SLOW,
    Browsers,
    Shooter,
    downloaded_json,
    register_with_new_keys,
    seal_with_cli,
    soon,
)
from playwright.async_api import expect

from bidopen.client import HostClient, LotSpec, TenderDraft

pytestmark = pytest.mark.browser


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def test_replace_and_withdraw_before_the_deadline(
    browsers: Browsers, hub_process: Any, tmp_path: Path, screenshot: Shooter
) -> None:
    host = HostClient(hub_process.base_url)
    await host.login(hub_process.host_user, hub_process.host_password)
    draft = TenderDraft(
        title="污水处理厂扩建工程", lots=(LotSpec(id="1", name="第一标段"),), deadline=soon(3600)
    )
    tender = (await host.create_tender(draft)).id
    await host.close()

    page = await browsers.page("bidder")
    await page.goto(f"/bidder?tender={tender}")
    key_dir = tmp_path / "keys"
    bidder = await register_with_new_keys(
        page,
        "戊环保科技有限公司",
        "钱七 135",
        "browser-passphrase",
        keep_key_file=key_dir / "bidder-key.json",
    )

    # A first bid, sealed in the browser.
    document = tmp_path / "first.pdf"
    document.write_bytes(b"%PDF-1.7 first version " * 2_000)
    await page.set_input_files("#submit-document", str(document))
    await page.fill("#item-price", "2000000.00")
    await page.fill("#item-duration_days", "365")
    await page.click("#submit-button")
    await expect(page.locator("#submit-message")).to_have_class("message ok", timeout=SLOW)

    # The replacement is sealed by `bidopen seal` with the key file the browser made.
    (tmp_path / "keys.passphrase").write_text("browser-passphrase\n", encoding="utf-8")
    second = tmp_path / "second.pdf"
    second.write_bytes(b"%PDF-1.7 second version " * 2_000)
    sealed = seal_with_cli(
        key_dir,
        second,
        f"{tender}/1/{bidder}",
        {"price": "1950000.00", "duration_days": "360"},
        tmp_path / "2.bidseal",
    )
    await page.check("#mode-sealed")
    await page.set_input_files("#submit-sealed", str(sealed))
    await page.click("#submit-button")
    await expect(page.locator("#submit-message")).to_have_class("message ok", timeout=SLOW)
    rows = page.locator("#my-bids tbody tr")
    await expect(rows).to_have_count(2)
    await expect(page.locator("#my-bids tr[data-status=replaced]")).to_have_count(1)
    await expect(page.locator("#my-bids tr[data-status=current]")).to_have_count(1)

    # Withdrawn: the signed withdrawal is handed over and no current bid remains.
    async with page.expect_download() as download:
        await page.locator("#my-bids tr[data-status=current] button.danger").click()
    withdrawal = await downloaded_json(await download.value)
    assert withdrawal["type"] == "withdrawal"
    await expect(page.locator("#submit-message")).to_contain_text("已撤回")
    await expect(page.locator("#my-bids tr[data-status=withdrawn]")).to_have_count(1)
    await expect(page.locator("#my-bids tr[data-status=current]")).to_have_count(0)
    await screenshot(page, "withdrawn")
