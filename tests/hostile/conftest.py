"""Fixtures of the hostile-party tests: a hub on SQLite, Chromium, and a foreign web origin."""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

_HUB_TESTS = str(Path(__file__).resolve().parents[1] / "hub")
if _HUB_TESTS not in sys.path:
    sys.path.insert(0, _HUB_TESTS)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """These tests attack the HTTP and browser surface, which is the same on every database."""
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bidopen.db'}"


@pytest.fixture
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture
async def chromium(chromium_path: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class ForeignSite:
    """A web origin that is not the hub's (another host name and port), serving given pages."""

    pages: dict[str, str]
    port: int = 0

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"


@pytest.fixture
def foreign_site() -> Iterator[ForeignSite]:
    site = ForeignSite(pages={})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = site.pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class WatchedPage:
    """A page whose console, uncaught errors and policy violations are kept for the test."""

    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def violations(self) -> list[str]:
        found = await self.page.evaluate("window.__policyViolations ?? []")
        return [str(v) for v in found] + [
            line for line in self.console if "Content Security" in line
        ]


# Runs before any script of the page (Playwright injects it; the page's policy does not apply).
_WATCH_POLICY = """
window.__policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__policyViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


async def watched_page(browser: Browser, base_url: str | None = None) -> WatchedPage:
    context = await browser.new_context(
        base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    await context.add_init_script(_WATCH_POLICY)
    page = await context.new_page()
    watched = WatchedPage(page)
    page.on("console", lambda message: watched.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return watched
