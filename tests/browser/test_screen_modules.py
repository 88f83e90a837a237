"""The big screen's pure parts in chromium: which panels each phase shows where, how lists page."""

from __future__ import annotations

from typing import Any

import pytest
from browsing import Browsers
from playwright.async_api import Page

pytestmark = pytest.mark.browser


async def module_page(browsers: Browsers) -> Page:
    page = await browsers.page("modules")
    await page.goto("/static/img/favicon.svg")
    return page


async def layouts(page: Page, cases: list[tuple[dict[str, Any], dict[str, bool]]]) -> Any:
    return await page.evaluate(
        """(cases) => import('/static/js/screen/layout.js').then((m) =>
             cases.map(([view, present]) => {
               const layout = m.screenLayout(view, present);
               return [layout.name, layout.areas, layout.rows];
             }))""",
        cases,
    )


async def test_each_phase_has_its_screenful(module_browser: Browsers) -> None:
    page = await module_page(module_browser)
    readout: dict[str, Any] = {"readout": [], "lots": []}
    result = await layouts(
        page,
        [
            ({"phase": "scheduled"}, {"facts": True}),
            ({"phase": "decryption"}, {"facts": True, "objections": True, "notice": True}),
            ({"phase": "confirmation", **readout}, {}),
            ({"phase": "confirmation", **readout}, {"objections": True}),
            ({"phase": "closed", **readout}, {"objections": True, "record": True}),
            ({"phase": "evaluation", **readout}, {"record": True, "video": True}),
            ({"phase": "evaluation", **readout}, {"record": True}),
            ({"phase": "evaluation", **readout, "results": [{}]}, {"record": True, "video": True}),
            ({"phase": "decryption"}, {"hall": True, "notice": True}),
            ({"phase": "decryption"}, {"hall": True, "objections": True}),
        ],
    )
    fr, auto = "minmax(0, 1fr)", "auto"
    assert result == [
        # Before the opening: the countdown, the rest of the screen for it.
        ["waiting", '"phase phase" "facts facts"', f"{fr} {auto}"],
        # Decryption: clock and counts on top, the objections below take what is left
        # (the tender's facts give way to them).
        [
            "opening",
            '"phase progress" "notice notice" "objections objections"',
            f"{auto} {auto} {fr}",
        ],
        # The read-out: a bar with the clock, the table below; objections beside both.
        ["readout", '"phase phase" "readout readout"', f"{auto} {fr}"],
        ["readout", '"phase objections" "readout objections"', f"{auto} {fr}"],
        ["readout", '"phase record" "readout objections"', f"{auto} {fr}"],
        # The evaluation: the picture large, the stage and its clock beside it.
        ["evaluation", '"video phase" "video evaluation" "video record"', f"{fr} {auto} {auto}"],
        [
            "evaluation",
            '"evaluation evaluation" "phase phase" "record record"',
            f"{auto} {fr} {auto}",
        ],
        # A result: the ranking takes the room, the picture goes small beside it.
        ["result", '"results video" "results phase" "results record"', f"{auto} {fr} {auto}"],
        # From the deadline: a row per bid beside the clock and the counts.
        ["opening", '"notice notice" "phase hall" "progress hall"', f"{auto} {fr} {auto}"],
        [
            "opening",
            '"phase hall" "progress hall" "objections hall"',
            f"{auto} {auto} {fr}",
        ],
    ]


async def test_long_lists_split_into_pages_that_repeat_their_heads(
    module_browser: Browsers,
) -> None:
    page = await module_page(module_browser)
    pages = await page.evaluate(
        """() => import('/static/js/screen/pager.js').then((m) => [
          // Two tables (heads of 30 and 20 px) of 40 px rows, 10 px apart, 200 px a page.
          m.pageBreaks(
            [0, 0, 0, 0, 0, 1, 1, 1].map((group) => ({ height: 40, group })),
            [30, 20], 200, 10),
          // Everything fits: one page.
          m.pageBreaks([{ height: 50, group: 0 }, { height: 50, group: 0 }], [0], 100),
          // A block taller than a page has a page of its own.
          m.pageBreaks([{ height: 20, group: 0 }, { height: 500, group: 0 },
                        { height: 20, group: 0 }], [0], 100),
        ])"""
    )
    assert pages == [
        # 30 + 4 x 40 = 190; the fifth row opens page two under its table's head again
        # (30 + 40), then the second table: 10 + 20 + 40 + 40 = 110 more, 180 in all; the
        # last row (40) would make 220.
        [[0, 1, 2, 3], [4, 5, 6], [7]],
        [[0, 1]],
        [[0], [1], [2]],
    ]
