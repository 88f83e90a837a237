"""Wrong passphrases, key files and sealed files get clear messages and change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from browsing import (
    SLOW,
    Browsers,
    Shooter,
    indexed_key_files,
    keygen,
    opening_in_decryption,
    register_with_key_file,
    register_with_new_keys,
)
from playwright.async_api import Page, expect

from bidseal import write_key_dir

pytestmark = pytest.mark.browser

UNREADABLE = "口令错误或密钥文件已损坏"


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def log_in_from_file(page: Page, bidder_id: str, key_file: Path, passphrase: str) -> None:
    await page.select_option("#login-stored", "")
    await page.fill("#login-bidder-id", bidder_id)
    await page.set_input_files("#login-key-file", str(key_file))
    await page.fill("#login-passphrase", passphrase)
    await page.click("#login-form button[type=submit]")


async def expect_refused(page: Page, text: str) -> None:
    await expect(page.locator("#login-message")).to_contain_text(text, timeout=SLOW)
    await expect(page.locator("#login-message")).to_have_class("message error")
    await expect(page.locator("#workspace")).to_be_hidden()


async def test_wrong_passphrase_and_wrong_key_files_change_nothing(
    browsers: Browsers, tmp_path: Path, screenshot: Shooter
) -> None:
    page = await browsers.page("bidder")
    await page.goto("/bidder")
    bidder_id = await register_with_new_keys(page, "丙路桥有限公司", "王五 137", "right-passphrase")
    await page.click("#logout")
    # This is the bidder's own computer: the key file stays (tests/hostile covers removing it).
    await page.click("#logout-dialog button[value=keep]")
    await expect(page.locator("#login-form")).to_be_visible()
    stored = await indexed_key_files(page)
    assert [entry["bidderId"] for entry in stored] == [bidder_id]

    # The key kept in this browser, with a wrong passphrase.
    await page.select_option("#login-stored", bidder_id)
    await page.fill("#login-passphrase", "wrong-passphrase")
    await page.click("#login-form button[type=submit]")
    await expect_refused(page, UNREADABLE)
    await screenshot(page, "wrong-passphrase")

    # A damaged copy of the right key file, with the right passphrase.
    damaged = json.loads(stored[0]["keyFileText"])
    damaged["ciphertext"] = ("A" if damaged["ciphertext"][0] != "A" else "B") + damaged[
        "ciphertext"
    ][1:]
    damaged_file = tmp_path / "damaged-key.json"
    damaged_file.write_text(json.dumps(damaged), encoding="utf-8")
    await log_in_from_file(page, bidder_id, damaged_file, "right-passphrase")
    await expect_refused(page, UNREADABLE)

    # Something that is not a key file at all.
    not_a_key = tmp_path / "notes.json"
    not_a_key.write_text('{"hello": "world"}', encoding="utf-8")
    await log_in_from_file(page, bidder_id, not_a_key, "right-passphrase")
    await expect_refused(page, UNREADABLE)

    # A sound key file (from `bidopen keygen`) that is not this bidder's key.
    other_key = keygen(tmp_path / "other", "other-passphrase")
    await log_in_from_file(page, bidder_id, other_key, "other-passphrase")
    await expect_refused(page, "与此投标人编号登记的密钥不符")
    await screenshot(page, "wrong-key-file")

    # None of this touched what the browser keeps.
    assert await indexed_key_files(page) == stored

    # The right passphrase still opens the stored key.
    await page.select_option("#login-stored", bidder_id)
    await page.fill("#login-passphrase", "right-passphrase")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#workspace")).to_be_visible(timeout=SLOW)


async def test_registering_with_a_key_file_and_a_wrong_passphrase_registers_nothing(
    browsers: Browsers, tmp_path: Path
) -> None:
    page = await browsers.page("bidder")
    await page.goto("/bidder")
    key_file = keygen(tmp_path / "keys", "cli-passphrase")
    await page.fill("#reg-org", "丁水务工程有限公司")
    await page.fill("#reg-contact", "赵六 136")
    await page.check("#reg-existing")
    await page.set_input_files("#reg-key-file", str(key_file))
    await page.fill("#reg-passphrase", "not-the-passphrase")
    await page.click("#register-form button[type=submit]")
    message = page.locator("#register-message")
    await expect(message).to_contain_text(UNREADABLE, timeout=SLOW)
    await expect(message).to_have_class("message error")
    await expect(page.locator("#workspace")).to_be_hidden()
    assert await indexed_key_files(page) == []

    # Had the refused attempt registered the key, this would now be refused as a duplicate.
    await page.reload()
    bidder_id = await register_with_key_file(
        page, "丁水务工程有限公司", "赵六 136", key_file, "cli-passphrase"
    )
    assert [entry["bidderId"] for entry in await indexed_key_files(page)] == [bidder_id]


async def test_a_wrong_sealed_file_at_decryption_is_refused_before_anything_is_sent(
    browsers: Browsers, hub_process: Any, tmp_path: Path
) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url,
        hub_process.host_user,
        hub_process.host_password,
        ["980000.00", "1010000.00", "995000.00"],
    )
    try:
        mine, other, _ = opening.bidders
        # The first bidder's key, as a key file; its sealed file is not in this browser.
        key_file, _ = write_key_dir(tmp_path / "keys", mine.client.keys, "mine-passphrase", 1000)
        page = await browsers.page("bidder")
        await page.goto(f"/bidder?tender={opening.tender}")
        await log_in_from_file(page, mine.client.bidder_id, key_file, "mine-passphrase")
        await expect(page.locator("#workspace")).to_be_visible(timeout=SLOW)

        await page.locator("#decrypt-list button").click()
        # This browser did not submit the bid: it asks for the receipt the bidder kept first.
        await expect(page.locator("#decrypt-receipt-fields")).to_be_visible()
        receipt = tmp_path / "receipt.json"
        receipt.write_text(json.dumps(mine.receipt), encoding="utf-8")
        await page.set_input_files("#decrypt-receipt", str(receipt))
        await expect(page.locator("#decrypt-file-fields")).to_be_visible()
        wrong = tmp_path / "someone-else.bidseal"
        wrong.write_bytes(other.sealed)
        await page.set_input_files("#decrypt-file", str(wrong))
        await expect(page.locator("#decrypt-message")).to_contain_text(
            "不是您在该标段递交的投标文件"
        )
        await expect(page.locator("#decrypt-message")).to_have_class("message error")
        # Nothing reached the hub: no failed attempt was recorded against this bid.
        view = (await opening.host.snapshot(opening.tender)).view
        own = [bid for bid in view["bids"] if bid["bidder"] == mine.client.bidder_id]
        assert [bid["failed_attempts"] for bid in own] == [0]

        right = tmp_path / "mine.bidseal"
        right.write_bytes(mine.sealed)
        await page.locator("#decrypt-list button").click()
        # The page asks for the file again (and empties the field first): answer when it asks.
        await expect(page.locator("#decrypt-file-fields")).to_be_visible()
        await page.set_input_files("#decrypt-file", str(right))
        await expect(page.locator("#decrypt-message")).to_have_class("message ok", timeout=SLOW)
        await expect(page.locator("#decrypt-list")).to_contain_text("已解密")
    finally:
        await opening.close()
