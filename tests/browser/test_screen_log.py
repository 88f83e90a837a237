"""The big screen shows the public log's newest checkpoint, for the hall to photograph."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browsing import Browsers, opening_in_decryption
from playwright.async_api import expect

pytestmark = pytest.mark.browser

NOTE = (
    "kaibiao.example.cn/log\n1024\nyvz9YV2tc6/0mfmK4pCExsB5B1lO0uIM2w6TBU/HX1c=\n\n"
    "\u2014 kaibiao.example.cn/log AAAA\n\u2014 w1.example AAAA\n\u2014 w2.example AAAA\n"
)


async def test_the_checkpoint_is_read_from_the_note(module_browser: Browsers) -> None:
    page = await module_browser.page("modules")
    await page.goto("/static/img/favicon.svg")
    parsed = await page.evaluate(
        """([note]) => import('/static/js/screen/logline.js').then((m) => [
             m.parseCheckpoint(note),
             m.parseCheckpoint('kaibiao.example.cn/log\\n01\\nAAAA\\n\\n— x y\\n'),
             m.parseCheckpoint('no blank line'),
           ])""",
        [NOTE],
    )
    assert parsed[0] == {
        "origin": "kaibiao.example.cn/log",
        "size": 1024,
        "root": "yvz9YV2tc6/0mfmK4pCExsB5B1lO0uIM2w6TBU/HX1c=",
        "cosigners": 2,
    }
    assert parsed[1:] == [None, None]


async def test_the_hall_sees_the_log(browsers: Browsers, hub_process: Any) -> None:
    opening = await opening_in_decryption(
        hub_process.base_url, hub_process.host_user, hub_process.host_password, ["1.00"] * 3
    )
    try:
        screen = await browsers.page("screen")
        await screen.goto(f"/screen/{opening.tender}")
        line = screen.locator("#log-line")
        # The tender, its three bids and the deadline at least are in the log by now.
        await expect(line).to_have_text(
            re.compile(r"公开日志 ([6-9]|\d\d+) 条 · 根 [A-Za-z0-9+/]{8} · 0 个见证人联署")
        )
        await screen.click("#lang-switch")
        await expect(line).to_have_text(re.compile(r"Public log: \d+ entries · root "))
    finally:
        await opening.close()
