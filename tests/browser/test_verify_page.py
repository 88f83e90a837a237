"""The /verify page checks a real opening's bundle in the browser, sending nothing, and refuses a
tampered copy with `bidopen verify`'s reason (the vectors of tests/vectors/bundle)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from accessibility import serious_violations
from browsing import LAPTOP_SIZE, Browsers, Shooter
from playwright.async_api import Page, Request, expect

pytestmark = pytest.mark.browser

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundle"
MANIFEST: dict[str, Any] = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))
CASES = {case["name"]: case for case in MANIFEST["cases"]}


@pytest.fixture
def hub_process(shared_hub: Any) -> Any:
    """The page needs no state of its own on the hub: the shared one serves it."""
    return shared_hub


async def verify(page: Page, case: dict[str, Any]) -> None:
    trust = case["trust"]
    await page.set_input_files("#bundle-file", str(VECTORS / case["bundle"]))
    if not await page.locator("details").evaluate("d => d.open"):
        await page.locator("details summary").click()
    await page.fill("#log-vkey", trust.get("log", ""))
    await page.fill("#witness-vkeys", "\n".join(trust.get("witnesses", [])))
    await page.fill("#quorum", str(trust.get("quorum", 0)))
    key = trust.get("server_key")
    await page.fill("#server-key", (VECTORS / key).read_text() if key else "")
    receipts = trust.get("receipts")
    await page.set_input_files("#receipts-file", [str(VECTORS / receipts)] if receipts else [])
    old = trust.get("old")
    await page.fill("#old-checkpoint", (VECTORS / old).read_text() if old else "")
    await page.get_by_role("button", name="核验", exact=True).click()
    outcome = "verified" if case["expect"] == "VERIFIED" else "failed"
    await expect(page.locator("#verify-status")).to_have_attribute("data-outcome", outcome)


async def test_a_real_bundle_verifies_and_a_tampered_copy_fails_with_the_reason(
    browsers: Browsers, screenshot: Shooter
) -> None:
    page = await browsers.page("verify", size=LAPTOP_SIZE)
    await page.goto("/verify")
    await page.wait_for_load_state("networkidle")
    sent: list[str] = []

    def watch(request: Request) -> None:
        sent.append(f"{request.method} {request.url}")

    page.on("request", watch)
    await verify(page, CASES["held-to-photo"])
    status = page.locator("#verify-status")
    await expect(status).to_contain_text("核验通过")
    lines = page.locator("#verify-lines li")
    checks = await lines.evaluate_all("els => els.map(e => e.dataset.check)")
    assert checks[:2] == ["checkpoint", "old"]
    wanted = {"entries", "replay", "batch", "record", "record_follows", "receipt"}
    assert wanted <= set(checks)
    await expect(page.locator("#verify-lines li").first).to_contain_text("2 个联署")
    assert await serious_violations(page) == []
    await screenshot(page, "verify-verified")

    await verify(page, CASES["edited-entry"])
    await expect(status).to_contain_text("核验未通过")
    reason = page.locator("#verify-reason")
    await expect(reason).to_have_text(CASES["edited-entry"]["expect"])
    await verify(page, CASES["rewritten-since-photo"])
    await expect(reason).to_have_text(CASES["rewritten-since-photo"]["expect"])
    # Only the replay sees it: the record states a pause no event holds (the part named after).
    await verify(page, CASES["record-invented-pause"])
    await expect(reason).to_have_text(
        f"{CASES['record-invented-pause']['expect']} (the replayed record differs in pauses)"
    )
    await page.click("#lang-switch")
    await expect(status).to_contain_text("FAILED")
    assert await serious_violations(page) == []
    await screenshot(page, "verify-failed")
    # Everything was read and checked in the page: not one request left it.
    assert sent == []
