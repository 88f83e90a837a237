"""Browser fixtures: Debian's chromium driven by Playwright against a real hub process."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browsing import Browsers, Shooter
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
WEB_ROOT = Path(__file__).resolve().parents[2] / "client_web"

# Every page test leaves pictures behind for a person to look at; they are git-ignored.
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The browser tests run on SQLite only: they test pages, not storage engines."""
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bidopen.db'}"


@pytest.fixture(scope="session")
def shared_database_url(shared_folder: Path) -> str:
    """The hub the page tests share runs on SQLite too."""
    (shared_folder / "sqlite" / "data").mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{shared_folder / 'sqlite' / 'data' / 'bidopen.db'}"


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


@pytest.fixture
async def browsers(chromium: Browser, hub_process: object) -> AsyncIterator[Browsers]:
    """Browser contexts against a fresh hub; a JavaScript exception on any page fails the test."""
    opened = Browsers(chromium, hub_process.base_url)  # type: ignore[attr-defined]
    found: list[str] = []
    try:
        yield opened
        # Every page in the state the test left it in: no serious or critical finding of
        # axe-core (the tests check further states where they stand in them).
        found = await opened.accessibility_findings()
    finally:
        for context in opened.contexts:
            await context.close()
    assert opened.uncaught() == [], "uncaught JavaScript errors"
    assert found == [], "axe-core: serious or critical violations"


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Shooter:
    """Save a picture of a page as tests/artifacts/screenshots/<test>-<name>.png."""
    prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    async def shoot(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{prefix}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def static_site() -> Iterator[str]:
    """client_web/ over plain HTTP on 127.0.0.1 (a secure context), for tests of pure modules
    that need no hub: /static/... resolves exactly as the hub serves it."""
    handler = functools.partial(_QuietFiles, directory=str(WEB_ROOT))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def module_browser(chromium: Browser, static_site: str) -> AsyncIterator[Browsers]:
    """Pages on the static site; a JavaScript exception on any of them fails the test."""
    opened = Browsers(chromium, static_site)
    try:
        yield opened
    finally:
        for context in opened.contexts:
            await context.close()
    assert opened.uncaught() == [], "uncaught JavaScript errors"
