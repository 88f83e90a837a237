// Fitting a list into a fixed panel of the big screen: the largest type that fits, else pages that turn by themselves.

/** Type sizes tried, largest first: a short list grows for the back of the hall; below the last nobody could read it. */
export const SCALES = Object.freeze([1.3, 1.15, 1, 0.9, 0.8]);
// The hall reads from afar: type is not shrunk below the screen's `--floor` (screen.css:
// 24 px at 1920x1080), or this where the page sets none; a list that still does not fit
// turns pages instead.
export const MIN_TEXT_PX = 16;

function floorPx(node) {
  return parseFloat(getComputedStyle(node).getPropertyValue("--floor")) || MIN_TEXT_PX;
}
/** How long a page stays: long enough to read a table of prices twice. */
export const PAGE_MS = 10_000;

/**
 * Split blocks into pages that fit `available` pixels (pure).
 *
 * `blocks` are `{height, group}` in display order; every group (a lot's table,
 * a list) costs `overhead[group]` once on each page it appears on (a caption,
 * a table head), and groups on one page are `gap` apart. A block taller than a
 * page gets a page of its own. Returns pages as arrays of block indices.
 */
export function pageBreaks(blocks, overhead, available, gap = 0) {
  const pages = [];
  let page = [];
  let used = 0;
  let group = null;
  blocks.forEach((block, index) => {
    const opening = block.group !== group;
    let cost = block.height + (opening ? overhead[block.group] + (page.length ? gap : 0) : 0);
    if (page.length && used + cost > available) {
      pages.push(page);
      page = [];
      used = 0;
      cost = block.height + overhead[block.group];
    }
    page.push(index);
    used += cost;
    group = block.group;
  });
  if (page.length) pages.push(page);
  return pages;
}

/**
 * Keeps the blocks (`blockSelector`) inside `viewport` within its height:
 * - all of them, at the largest of `SCALES` at which they fit (`--fit` on the
 *   viewport scales the type);
 * - else pages at the smallest size, turned every `PAGE_MS`, with "page n of m"
 *   in `indicator` (and `data-page`/`data-pages` on the viewport).
 * Each block belongs to the nearest `groupSelector` ancestor, which is hidden on
 * pages that have none of its blocks. A viewport without a fixed height (the
 * narrow, scrolling layout: its CSS `overflow` is `visible`) shows everything.
 *
 * Call `refit()` after changing the content; size changes refit by themselves.
 */
export class Pager {
  constructor(viewport, indicator, { blockSelector, groupSelector, label }) {
    this.viewport = viewport;
    this.indicator = indicator;
    this.blockSelector = blockSelector;
    this.groupSelector = groupSelector;
    this.label = label; // (page, pages) => text
    this.pages = [];
    this.page = 0;
    this.holdUntil = 0;
    this.timer = setInterval(() => this.turn(), PAGE_MS);
    // Refit in the next frame: hiding rows inside a callback of the observer would be a loop to it.
    this.observer = new ResizeObserver(() => requestAnimationFrame(() => this.refit()));
    this.observer.observe(viewport);
  }

  blocks() {
    return [...this.viewport.querySelectorAll(this.blockSelector)];
  }

  groupOf(block) {
    return block.closest(this.groupSelector);
  }

  /** Measure again and choose the size and the pages; `{first}` starts from page one. */
  refit({ first = false } = {}) {
    const blocks = this.blocks();
    const groups = [...new Set(blocks.map((block) => this.groupOf(block)))];
    for (const node of [...blocks, ...groups]) node.hidden = false;
    this.pages = [];
    const bounded = getComputedStyle(this.viewport).overflowY !== "visible";
    let fits = true;
    const basePx = parseFloat(getComputedStyle(this.viewport.parentElement ?? this.viewport).fontSize);
    const scales = SCALES.filter((scale) => scale >= 1 || scale * basePx >= floorPx(this.viewport));
    // Larger type must fit the width too: a table wider than the panel would be cut.
    const narrow = (node) => node.scrollWidth <= node.clientWidth + 1;
    for (const scale of bounded ? scales : [1]) {
      this.viewport.style.setProperty("--fit", String(scale));
      fits = !bounded || (this.viewport.scrollHeight <= this.viewport.clientHeight + 1 && [this.viewport, ...groups].every(narrow));
      if (fits) break;
    }
    if (!fits) this.pages = this.split(blocks, groups);
    this.page = first ? 0 : Math.min(this.page, Math.max(0, this.pages.length - 1));
    this.show(this.page);
  }

  split(blocks, groups) {
    const heights = new Map(blocks.map((block) => [block, block.getBoundingClientRect().height]));
    const overhead = groups.map((group) => {
      const own = blocks.filter((block) => this.groupOf(block) === group);
      return group.getBoundingClientRect().height - own.reduce((sum, block) => sum + heights.get(block), 0);
    });
    const gap = parseFloat(getComputedStyle(this.viewport).rowGap) || 0;
    const measured = blocks.map((block) => ({ height: heights.get(block), group: groups.indexOf(this.groupOf(block)) }));
    // Measured heights are rounded and a table may shift by a pixel once rows are hidden:
    // when a page still spills over, split again with that much less room.
    let available = this.viewport.clientHeight;
    let pages = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      pages = pageBreaks(measured, overhead, available, gap).map((page) => page.map((index) => blocks[index]));
      const spill = Math.max(...pages.map((page) => this.spillOf(page, blocks, groups)));
      if (spill <= 0) break;
      available -= spill + 1;
    }
    return pages;
  }

  spillOf(page, blocks, groups) {
    this.apply(page, blocks, groups);
    return this.viewport.scrollHeight - this.viewport.clientHeight;
  }

  apply(page, blocks, groups) {
    const shown = new Set(page);
    for (const block of blocks) block.hidden = !shown.has(block);
    for (const group of groups) group.hidden = !page.some((block) => this.groupOf(block) === group);
  }

  show(index) {
    const count = this.pages.length;
    if (count > 0) {
      this.page = ((index % count) + count) % count;
      const blocks = this.blocks();
      this.apply(this.pages[this.page], blocks, [...new Set(blocks.map((block) => this.groupOf(block)))]);
    }
    this.viewport.dataset.pages = String(Math.max(1, count));
    this.viewport.dataset.page = String(count > 0 ? this.page + 1 : 1);
    this.indicator.hidden = count < 2;
    this.indicator.textContent = count < 2 ? "" : this.label(this.page + 1, count);
  }

  turn() {
    if (this.pages.length > 1 && Date.now() >= this.holdUntil) this.show(this.page + 1);
  }

  /** Show the page that holds `block` (the line being read aloud) and stay there a while. */
  reveal(block) {
    const at = this.pages.findIndex((page) => page.includes(block));
    if (at < 0) return;
    this.holdUntil = Date.now() + PAGE_MS;
    if (at !== this.page) this.show(at);
  }
}
