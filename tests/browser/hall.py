"""What the waiting hall sees: the big screen holds each phase in one screenful, nothing cut off."""

from __future__ import annotations

from typing import Any

from browsing import SCREEN_SIZE, Shooter
from playwright.async_api import Page

# Elements that stick out of a box that clips them, boxes whose content does not fit,
# and paged panels whose page count is not shown: each would hide something from the hall.
CUT_OFF = """() => {
  const describe = (node) => {
    const id = node.id ? `#${node.id}` : "";
    const text = (node.textContent || "").trim().slice(0, 40);
    return `${node.tagName.toLowerCase()}${id} "${text}"`;
  };
  const visible = (node) => {
    const box = node.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(node).visibility !== "hidden";
  };
  const clips = (node) => {
    const style = getComputedStyle(node);
    return style.overflowX !== "visible" || style.overflowY !== "visible";
  };
  // A name cut short with an ellipsis, whose title holds all of it, hides nothing.
  const ellipsized = (node) =>
    getComputedStyle(node).textOverflow === "ellipsis" && Boolean(node.title);
  const problems = [];
  for (const node of document.body.querySelectorAll("*")) {
    if (!visible(node) || node.closest(".visually-hidden")) continue;
    const box = node.getBoundingClientRect();
    for (let outer = node.parentElement; outer; outer = outer.parentElement) {
      if (!clips(outer)) continue;
      if (ellipsized(outer)) break;
      const frame = outer.getBoundingClientRect();
      if (box.top < frame.top - 1 || box.left < frame.left - 1 ||
          box.bottom > frame.bottom + 1 || box.right > frame.right + 1) {
        problems.push(`${describe(node)} sticks out of ${describe(outer)}`);
      }
      break;
    }
    if (clips(node) && node.tagName !== "VIDEO" && !ellipsized(node) &&
        (node.scrollHeight > node.clientHeight + 1 || node.scrollWidth > node.clientWidth + 1)) {
      problems.push(`${describe(node)} holds more than it shows`);
    }
  }
  for (const viewport of document.querySelectorAll(".page-viewport")) {
    if (!visible(viewport) || Number(viewport.dataset.pages || 1) < 2) continue;
    const indicator = viewport.parentElement.querySelector(".page-indicator");
    if (!indicator || !visible(indicator) || !indicator.textContent.trim()) {
      problems.push(`${describe(viewport)} has pages but does not say so`);
    }
  }
  return problems;
}"""


# Text the hall reads from afar: nothing below 24 px on the hall's 1920x1080, nothing below
# 16 px on a smaller screen (a laptop's 1366x768, a small hall screen's 1280x720).
MIN_TEXT_PX = 16
HALL_TEXT_PX = 24
SMALL_TEXT = """(least) => {
  const small = [];
  for (const node of document.body.querySelectorAll("*")) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || node.closest(".visually-hidden")) continue;
    // The record's hash is sized to hold its 64 digits on one line of the panel; the hall
    // checks it against the signed record, not by eye.
    if (node.closest(".hash-group")) continue;
    const own = [...node.childNodes]
      .some((child) => child.nodeType === 3 && child.textContent.trim());
    const size = parseFloat(getComputedStyle(node).fontSize);
    if (own && size < least) {
      const id = node.id ? "#" + node.id : "";
      small.push(`${node.tagName.toLowerCase()}${id}.${node.className} ${size}px`);
    }
  }
  return small;
}"""


async def settled(page: Page) -> None:
    """Let the page finish what it does in the next frames (pagers refit after a resize)."""
    await page.evaluate(
        "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


async def assert_fits(page: Page) -> None:
    """At the hall's 1920x1080 nothing scrolls; at any size nothing is cut off."""
    await settled(page)
    size = page.viewport_size
    if size == SCREEN_SIZE:
        height = await page.evaluate("document.documentElement.scrollHeight")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1920 and height <= 1080, (width, height)
    problems = await page.evaluate(CUT_OFF)
    assert problems == [], f"{page.url} at {size}: {problems}"
    least = HALL_TEXT_PX if size == SCREEN_SIZE else MIN_TEXT_PX
    small = await page.evaluate(SMALL_TEXT, least)
    assert small == [], f"{page.url} at {size}: text smaller than {least} px: {small}"


async def check_hall(screens: list[Page], screenshot: Shooter, phase: str) -> None:
    """Every screen fits, and a picture of each is kept as <test>-hall-<phase>-<W>x<H>.png."""
    for page in screens:
        await assert_fits(page)
        size = page.viewport_size
        assert size is not None
        await screenshot(page, f"hall-{phase}-{size['width']}x{size['height']}")


# The pager's current split as indices into its blocks (empty: everything on one page), and
# how many blocks it has now.
_PAGING = """(panel) => {
  const pager = window.bidopenScreen.pagers[panel];
  const blocks = pager.blocks();
  return [pager.pages.map((page) => page.map((block) => blocks.indexOf(block))), blocks.length];
}"""


def _covers_every_block(paging: list[Any]) -> bool:
    """A split made for the blocks the panel has now: each on exactly one page (or no split)."""
    pages, count = paging
    return not pages or sorted(i for page in pages for i in page) == list(range(count))


async def every_page(page: Page, panel: str) -> list[list[str]]:
    """Turn each page of a paged panel (hall, readout, objections, results) by hand; check that
    each fits and return the texts of the rows it shows.

    The pager splits again after a late layout change (a resize, a font, a refit in the next
    frame), so a turn is made only under a split of the blocks the panel has now, and one that
    began under one split and ended under another is turned again (bounded): the pages
    returned all come from one split (a row no split ever shows still fails the caller)."""
    pages: list[list[str]] = []
    for _ in range(20):
        paging = await page.evaluate(_PAGING, panel)
        if not _covers_every_block(paging):
            await page.wait_for_timeout(250)
            continue
        pages = []
        for index in range(max(1, len(paging[0]))):
            await page.evaluate(f"window.bidopenScreen.pagers.{panel}.show({index})")
            await assert_fits(page)
            rows: Any = await page.evaluate(
                """(panel) => {
                  const pager = window.bidopenScreen.pagers[panel];
                  return pager.blocks().filter((row) => !row.hidden && !row.closest("[hidden]"))
                    .map((row) => row.innerText.trim());
                }""",
                panel,
            )
            pages.append(list(rows))
        if await page.evaluate(_PAGING, panel) == paging:
            return pages
        await page.wait_for_timeout(250)
    return pages


# Read-out values, amounts (figures and 大写), column heads and the hall's cells whose text
# takes more than one line, or is wider than its cell: across a hall "8,650,00" over "0"
# reads as another amount. Lines are counted from the text's own boxes (a Range's client
# rects, one per line box), so a box one line high passes and a wrapped one does not.
WRAPPED = """() => {
  const lineCount = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    const boxes = [...range.getClientRects()].filter((box) => box.width > 0 && box.height > 0);
    const line = parseFloat(getComputedStyle(node).lineHeight);
    if (!boxes.length) return 0;
    const top = Math.min(...boxes.map((box) => box.top));
    const bottom = Math.max(...boxes.map((box) => box.bottom));
    // Boxes on one line share their line box: all of them within one line height.
    return Math.max(1, Math.round((bottom - top) / line));
  };
  const values = [
    "#readout .amount-figures", "#readout .amount-capitals", "#readout td.num:not(.amount)",
    "#readout thead th", "#readout tbody th", "#hall thead th", "#hall tbody th", "#hall td",
  ];
  const problems = [];
  let measured = 0;
  for (const node of document.querySelectorAll(values.join(", "))) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || node.closest("[hidden]")) continue;
    measured += 1;
    const text = node.textContent.trim().slice(0, 40);
    const lines = lineCount(node);
    if (lines > 1) problems.push(`${lines} lines: ${text}`);
    const cell = node.closest("td, th");
    // A bidder's name may end in an ellipsis (its title holds the whole name); no value may.
    const cut = cell.matches("tbody th") ? !cell.title : cell.scrollWidth > cell.clientWidth + 1;
    if (cut) problems.push(`wider than its cell: ${text}`);
  }
  return { measured, problems };
}"""


async def assert_nothing_wraps(page: Page) -> int:
    """No value, amount or column head wraps or is cut; returns how many were measured."""
    found: Any = await page.evaluate(WRAPPED)
    size = page.viewport_size
    assert found["problems"] == [], f"{page.url} at {size}: {found['problems'][:8]}"
    return int(found["measured"])
