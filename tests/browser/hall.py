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
  const problems = [];
  for (const node of document.body.querySelectorAll("*")) {
    if (!visible(node) || node.closest(".visually-hidden")) continue;
    const box = node.getBoundingClientRect();
    for (let outer = node.parentElement; outer; outer = outer.parentElement) {
      if (!clips(outer)) continue;
      const frame = outer.getBoundingClientRect();
      if (box.top < frame.top - 1 || box.left < frame.left - 1 ||
          box.bottom > frame.bottom + 1 || box.right > frame.right + 1) {
        problems.push(`${describe(node)} sticks out of ${describe(outer)}`);
      }
      break;
    }
    if (clips(node) && node.tagName !== "VIDEO" &&
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


# Text the hall reads from afar: nothing below 16 px, at the laptop's 1366x768 too.
MIN_TEXT_PX = 16
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
    small = await page.evaluate(SMALL_TEXT, MIN_TEXT_PX)
    assert small == [], f"{page.url} at {size}: text smaller than {MIN_TEXT_PX} px: {small}"


async def check_hall(screens: list[Page], screenshot: Shooter, phase: str) -> None:
    """Every screen fits, and a picture of each is kept as <test>-hall-<phase>-<W>x<H>.png."""
    for page in screens:
        await assert_fits(page)
        size = page.viewport_size
        assert size is not None
        await screenshot(page, f"hall-{phase}-{size['width']}x{size['height']}")


async def every_page(page: Page, panel: str) -> list[list[str]]:
    """Turn each page of a paged panel (readout, objections, results) by hand; check that each
    fits and return the texts of the rows it shows."""
    pages: list[list[str]] = []
    count = int(await page.evaluate(f"window.bidopenScreen.pagers.{panel}.pages.length || 1"))
    for index in range(count):
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
    return pages
