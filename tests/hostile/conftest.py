"""Fixtures of the hostile-party tests: a hub on SQLite, Chromium, and a foreign web origin."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

# The helpers of the hub tests, and the witness processes of the log tests.
for _folder in ("hub", "tlog"):
    _TESTS = str(Path(__file__).resolve().parents[1] / _folder)
    if _TESTS not in sys.path:
        sys.path.insert(0, _TESTS)

from hostile_kit import ForeignSite  # noqa: E402

from hubprocess import _create_pg_database, _drop_pg_database, pg_url  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite unless a test asks for PostgreSQL (`parametrize("database_url", ["postgres"],
    indirect=True)`): most of these tests attack the HTTP and browser surface, which is the
    same on every database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bidopen.db'}"
        return
    name = asyncio.run(_create_pg_database())
    try:
        yield pg_url(name)
    finally:
        asyncio.run(_drop_pg_database(name))


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
