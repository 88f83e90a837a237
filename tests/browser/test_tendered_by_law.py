"""A project tendered by law (依法必须招标) in Chromium: the host states it with the tender's
parties and a lot's ceiling; a lot with two bids can then only be stopped and re-tendered."""

from __future__ import annotations

from typing import Any

import pytest
from browsing import (
    SLOW,
    Browsers,
    Shooter,
    beijing_local,
    host_login,
    public_view,
    soon,
)
from playwright.async_api import expect

from bidopen.client import BidderClient, seal_in_memory
from bidseal import generate_keys

pytestmark = pytest.mark.browser


async def test_a_thin_lot_tendered_by_law_can_only_be_stopped(
    browsers: Browsers, hub_process: Any, screenshot: Shooter
) -> None:
    base_url: str = hub_process.base_url
    bidders = []
    for n in (1, 2):
        client = BidderClient(base_url, generate_keys())
        await client.register(f"投标人{n}建设有限公司", f"联系人{n}")
        await client.login()
        bidders.append(client)

    host = await browsers.page("host")
    await host_login(host, hub_process.host_user, hub_process.host_password)
    title = "市政府投资道路工程施工"
    await host.fill("#create-title", title)
    await host.fill("#create-tenderer", "某市住房和城乡建设局")
    await host.fill("#create-agency", "某招标代理有限公司")
    await host.check("#create-by-law")
    await host.fill("#lot-rows [name=lot-ceiling]", "8,650,000")
    await host.fill("#create-deadline", beijing_local(soon(12)))
    await host.click("#create-form button[type=submit]")
    await expect(host.locator("#create-message")).to_contain_text(
        "最高投标限价须为以元为单位的金额"
    )
    await host.fill("#lot-rows [name=lot-ceiling]", "8650000")
    await host.click("#create-form button[type=submit]")
    await expect(host.locator("#create-message")).to_have_class("message ok")
    await expect(host.locator("#session-title")).to_have_text(title, timeout=SLOW)
    tender = await host.locator("#session-code").inner_text()

    for client in bidders:
        sealed, _ = seal_in_memory(
            client.keys,
            client.context(tender, "1"),
            b"bid document",
            {"price": "8000000.00", "duration_days": "300"},
        )
        await client.submit(tender, "1", sealed)

    quorum = host.locator("#controls form[data-lot='1']")
    await expect(quorum).to_be_visible(timeout=60_000)
    await expect(quorum).to_contain_text("依法必须招标")
    # Stopping is the only choice offered.
    await expect(quorum.locator("button[data-choice=continue]")).to_have_count(0)
    await screenshot(host, "quorum-by-law")
    await quorum.locator("textarea").fill("投标人不足三个，依法重新招标")
    await quorum.locator("button[data-choice=stop]").click()
    await expect(host.locator("#session-message")).to_have_class("message ok", timeout=SLOW)

    view = await public_view(base_url, tender)
    assert view["parties"] == {
        "tenderer": "某市住房和城乡建设局",
        "agency": "某招标代理有限公司",
        "tendered_by_law": True,
    }
    assert view["lots"] == [{"id": "1", "name": view["lots"][0]["name"], "ceiling": "8650000.00"}]  # type: ignore[index]
    progress: Any = view["lot_progress"]
    assert progress[0]["quorum"]["choice"] == "stop"
    assert progress[0]["quorum"]["reason"] == "投标人不足三个，依法重新招标"
    for client in bidders:
        await client.close()
