"""axe-core (client_web/node_modules, pinned in package.json) run in a page under test."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Page

CLIENT_WEB = Path(__file__).resolve().parents[2] / "client_web"
AXE = CLIENT_WEB / "node_modules" / "axe-core" / "axe.min.js"
# What must never be found; minor and moderate findings are for people to judge.
BLOCKING = ("serious", "critical")


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands, one line each.

    The script is evaluated through the browser's debugger rather than a script tag, so the
    pages' Content-Security-Policy (no inline scripts) need not change for the test.
    """
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(_source())
    result: dict[str, Any] = await page.evaluate(
        "async () => axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node['failureSummary'][:160]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]
