"""Every response carries the browser's protections: content policy, no framing, no API caching.

Real hub process; the pages are also read as files, so that no inline script, style or
handler can come back unnoticed (the policy would block it, and the page would break).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest
from hostile_kit import host_and_tender
from hubtesting import HubApi

from hubprocess import HubProcess

PAGES_DIR = Path(__file__).resolve().parents[2] / "client_web" / "pages"
STATIC_DIR = Path(__file__).resolve().parents[2] / "client_web" / "static"


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


def policy(header: str) -> dict[str, set[str]]:
    directives: dict[str, set[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def assert_protected(path: str, headers: aiohttp.typedefs.LooseHeaders) -> None:
    got = {k.lower(): v for k, v in dict(headers).items()}  # type: ignore[arg-type]
    csp = policy(got["content-security-policy"])
    assert csp["script-src"] == {"'self'"}, path
    assert csp["style-src"] == {"'self'"}, path
    assert csp["frame-ancestors"] == {"'none'"}, path
    assert csp["object-src"] == {"'none'"} and csp["base-uri"] == {"'none'"}, path
    assert not any("unsafe" in v for values in csp.values() for v in values), path
    assert got["x-frame-options"] == "DENY", path
    assert got["x-content-type-options"] == "nosniff", path
    assert got["referrer-policy"] == "no-referrer", path
    camera = "camera=(self)" if path.startswith("/camera") else "camera=()"
    assert camera in got["permissions-policy"].split(", "), path
    assert "microphone=()" in got["permissions-policy"], path
    # No banner with versions: not Python's, not aiohttp's.
    assert got.get("server", "") == "bidopen", path
    assert not re.search(r"\d", got.get("server", "")), path


async def test_every_kind_of_response_carries_the_headers(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    _api, tid = await host_and_tender(hub_process, hub_client)
    paths = [
        "/",
        "/bidder",
        "/host",
        "/camera",
        "/camera?session=" + tid,
        f"/screen/{tid}",
        f"/tender/{tid}",
        "/static/js/pages/bidder.js",
        "/static/js/workers/seal-worker.js",
        "/static/css/base.css",
        "/api/tenders",
        f"/api/sessions/{tid}",
        "/api/time",
        "/api/nothing-here",
        "/nothing-here",
        "/socket.io/?EIO=4&transport=polling",
    ]
    for path in paths:
        async with hub_client.get(path) as response:
            assert response.status < 500, path
            assert_protected(path.split("?")[0], response.headers)
    async with hub_client.post(
        "/api/host/login", json={"username": "host1", "password": "wrong password"}
    ) as response:
        assert response.status == 401
        assert_protected("/api/host/login", response.headers)


async def test_answers_with_tokens_or_private_data_are_never_stored(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    login = {"username": hub_process.host_user, "password": hub_process.host_password}
    async with hub_client.post("/api/host/login", json=login) as response:
        assert response.status == 200 and "token" in await response.json()
        assert response.headers["Cache-Control"] == "no-store"
        api.host_token = (await response.json())["token"]
    tid = (await api.create_tender())["id"]
    bidder = await api.register("甲建设集团")
    private = [
        ("/api/host/me", api.host_auth),
        (f"/api/sessions/{tid}", api.host_auth),
        (f"/api/sessions/{tid}/log", api.host_auth),
        ("/api/bidders/me", bidder.auth),
        (f"/api/tenders/{tid}/bids/mine", bidder.auth),
        (f"/api/sessions/{tid}", bidder.auth),
    ]
    for path, auth in private:
        async with hub_client.get(path, headers=auth) as response:
            assert response.status == 200, path
            assert response.headers["Cache-Control"] == "no-store", path


class _InlineFinder(HTMLParser):
    """Collects what a strict policy would block: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        if "style" in names:
            self.found.append(f"style= on <{tag}>")
        self.found += [f"{name}= on <{tag}>" for name in names if name.startswith("on")]
        for name, value in attrs:
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL in {name}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("inline script text")


@pytest.mark.parametrize("page", sorted(p.name for p in PAGES_DIR.glob("*.html")))
def test_pages_have_nothing_inline(page: str) -> None:
    finder = _InlineFinder()
    finder.feed((PAGES_DIR / page).read_text(encoding="utf-8"))
    assert finder.found == []


def test_scripts_do_not_write_markup_or_inline_styles() -> None:
    """Dynamic text goes through textContent; styles through the CSSOM, which the policy allows."""
    offenders = []
    for path in sorted((STATIC_DIR / "js").rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"\.innerHTML\s*=",
            r"\.outerHTML\s*=",
            r"insertAdjacentHTML",
            r"document\.write",
            r"setAttribute\(\s*[\"']style",
            r"setAttribute\(\s*[\"']on",
            r"\beval\(",
            r"new Function\(",
        ):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(STATIC_DIR)}: {pattern}")
    assert offenders == []
