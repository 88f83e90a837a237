"""The browser fixtures of tests/browser, with a fake camera that needs no permission prompt."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

_BROWSER_TESTS = Path(__file__).resolve().parents[1] / "browser"
# tests/browser and tests/hub_eval are no packages: their helpers are found on the path, and
# the browser conftest is loaded under a name of its own, so its fixtures are reused, not copied.
for folder in (_BROWSER_TESTS, _BROWSER_TESTS.parent / "hub_eval"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
_spec = importlib.util.spec_from_file_location("browser_fixtures", _BROWSER_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

browsers = _fixtures.browsers
chromium_path = _fixtures.chromium_path
database_url = _fixtures.database_url
shared_database_url = _fixtures.shared_database_url
screenshot = _fixtures.screenshot

# Chromium's built-in test camera (a moving picture) stands in for the evaluation room's.
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
async def chromium(chromium_path: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium_path), args=[*_fixtures.CHROMIUM_ARGS, *FAKE_CAMERA_ARGS]
        )
        try:
            yield browser
        finally:
            await browser.close()
