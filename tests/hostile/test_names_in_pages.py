"""Hostile names in Chromium: the hub's own text after a name is drawn in its own order.

A right-to-left override (U+202E) typed into a name once reversed the hub's text after it
on the tender page, the big screen and the host console. The hub now refuses such
characters, but names stored before that remain (in the database and in logs that are
never rewritten), and right-to-left scripts are legitimate: so the pages isolate every
piece of user text (`<bdi>`, `dir="auto"`, or first-strong isolates inside sentences).
Measured: the left edge of each character of the hub's text must grow, left to right.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hubtesting import HubApi
from playwright.async_api import Locator, Page, expect
from sqlalchemy.engine import make_url

from hubprocess import HubProcess

pytestmark = pytest.mark.browser

_BROWSER_TESTS = Path(__file__).resolve().parents[1] / "browser"
if str(_BROWSER_TESTS) not in sys.path:
    sys.path.insert(0, str(_BROWSER_TESTS))
_spec = importlib.util.spec_from_file_location("browser_fixtures", _BROWSER_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
browsers = _fixtures.browsers
chromium = _fixtures.chromium
chromium_path = _fixtures.chromium_path
database_url = _fixtures.database_url
module_browser = _fixtures.module_browser
static_site = _fixtures.static_site

from browsing import Browsers, host_login  # noqa: E402

# An override that is never closed, then Arabic: whatever follows in the same run would
# be drawn right to left.
HOSTILE_NAME = "\u202eمركز التداول 交易中心"

# Left edges of the characters of `text` inside the element (its first text node holding it).
_EDGES = """([element, text]) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const start = node.data.indexOf(text);
    if (start < 0) continue;
    const edges = [];
    for (let i = start; i < start + text.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      edges.push(range.getBoundingClientRect().left);
    }
    return edges;
  }
  return null;
}"""


async def drawn_left_to_right(page: Page, locator: Locator, text: str) -> bool:
    edges = await page.evaluate(_EDGES, [await locator.element_handle(), text])
    assert edges is not None, f"{text!r} is not on the page"
    return all(a < b for a, b in itertools.pairwise(edges))


def _rename_organisation_as_stored_long_ago(hub: HubProcess, name: str) -> None:
    """A name the hub would refuse today, as an older release may have stored it."""
    conn = sqlite3.connect(make_url(hub.database_url).database or "")
    conn.execute("UPDATE organisations SET name = ? WHERE id = 'default'", (name,))
    conn.commit()
    conn.close()


async def test_an_override_in_an_organisation_name_reverses_none_of_the_hubs_text(
    hub_process: HubProcess, browsers: Browsers
) -> None:
    _rename_organisation_as_stored_long_ago(hub_process, HOSTILE_NAME)
    async with aiohttp.ClientSession(base_url=hub_process.base_url) as http:
        api = HubApi(http)
        await api.login_host(hub_process.host_user, hub_process.host_password)
        tender = await api.create_tender()
    code = tender["code"]

    screen = await browsers.page("screen")
    await screen.goto(f"/screen/{code}")
    await expect(screen.locator("#tender-organisation")).to_have_text(HOSTILE_NAME)
    await expect(screen.locator("#tender-code")).to_have_text(code)
    assert await drawn_left_to_right(
        screen, screen.locator(".screen-tender p:not(.log-line)"), code
    )

    console = await browsers.page("host")
    await host_login(console, hub_process.host_user, hub_process.host_password)
    await expect(console.locator("#who-organisation")).to_have_text(HOSTILE_NAME)
    assert await drawn_left_to_right(console, console.locator("#who"), hub_process.host_user)

    page = await browsers.page("tender")
    await page.goto(f"/tender/{code}")
    facts = page.locator("#tender-facts")
    await expect(facts).to_contain_text(code)
    assert await drawn_left_to_right(page, facts, code)


async def module_page(browsers: Browsers) -> Page:
    page = await browsers.page("modules")
    # A text file of the site's origin opens as an HTML document the probes can fill.
    await page.goto("/static/js/dom.js")
    return page


async def rendered(page: Page, body: str) -> Locator:
    """Run `body` (an async function returning a node) and put its node in the document."""
    await page.evaluate(
        f"""async () => {{
          document.documentElement.replaceChildren(document.createElement("body"));
          const node = await ({body})();
          node.id = "probe";
          node.style.font = "20px sans-serif";
          document.body.append(node);
        }}"""
    )
    return page.locator("#probe")


async def test_bidder_names_and_free_text_stay_in_their_own_run(
    module_browser: Browsers,
) -> None:
    page = await module_page(module_browser)
    view: dict[str, Any] = {"bidder_names": {"BD0123456789": HOSTILE_NAME}}
    probes = {
        # A bidder's name, then its id (the read-out table, the objections, the results).
        "BD0123456789": f"""async () => {{
            const {{ bidderLabel }} = await import("/static/js/bidders.js");
            return bidderLabel({_js(view)}, "BD0123456789");
        }}""",
        # An objection's lot (a name the host typed), then the time it was raised.
        "09:00": f"""async () => {{
            const {{ objectionItems }} = await import("/static/js/objection-list.js");
            const view = {{
              ...{_js(view)},
              objections: [{{ id: "O1", lot: "1", text: "异议", answer: null,
                raised_at: "2026-01-01T01:00:00.000000Z", answered_at: null }}],
              lots: [{{ id: "1", name: {_js(HOSTILE_NAME)} }}],
            }};
            return objectionItems(view)[0].querySelector(".objection-head");
          }}""",
        # A sentence of the host's log with a reason in it, then the hub's text.
        "全部标段": f"""async () => {{
            const {{ describeEvent }} = await import("/static/js/event-text.js");
            const {{ el }} = await import("/static/js/dom.js");
            const sentence = describeEvent({{ kind: "session_rescheduled", data: {{
              reason: {_js(HOSTILE_NAME)}, deadline: "2026-03-04T05:06:07.000000Z" }} }}, null);
            return el("p", {{ text: sentence + " 全部标段" }});
          }}""",
    }
    for text, body in probes.items():
        probe = await rendered(page, body)
        assert await drawn_left_to_right(page, probe, text), text


def _js(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
