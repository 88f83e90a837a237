"""A foreign web page in the bidder's browser can neither frame the hub's pages nor post to its API.

The foreign page is served by another origin (`localhost` on another port, the hub being
on `127.0.0.1`) and runs in real Chromium: it frames `/host`, `/bidder` and `/camera`,
and sends the cross-site "simple" requests a browser sends without asking (`text/plain`,
form and multipart bodies, `no-cors`) to registration, host login and the video viewer.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hostile_kit import ForeignSite, host_and_tender, watched_page
from playwright.async_api import Browser, Frame

from bidopen.log_redaction import redact_path
from bidseal import generate_keys
from hubprocess import HubProcess

pytestmark = pytest.mark.browser

FRAMED = ("/host", "/bidder", "/camera")
# A line of the hub's access log: `… 127.0.0.1 "POST /api/bidders" 415 0.001s`.
_ACCESS = re.compile(r'"POST (\S+)" (\d{3}) ')


def _posts_logged(access_log: Path) -> list[tuple[str, str]]:
    """Every POST of the hub's access log so far: (path as logged, status)."""
    return _ACCESS.findall(access_log.read_text(encoding="utf-8"))


@pytest.fixture
def hub_env(tmp_path: Path) -> dict[str, str]:
    return {"BIDOPEN_ACCESS_LOG": str(tmp_path / "access.log")}


def _framing_page(hub: str, tender: str) -> str:
    frames = "".join(
        f'<iframe id="f{n}" src="{hub}{path}{"?session=" + tender if path == "/camera" else ""}"'
        ' allow="camera" width="400" height="300"></iframe>'
        for n, path in enumerate(FRAMED)
    )
    return f"<!doctype html><title>抽奖活动</title><h1>恭喜中奖</h1>{frames}"


async def _shows_hub_page(frame: Frame) -> bool:
    """True if the hub's own document loaded in the frame (its main element is there)."""
    if frame.url.startswith("chrome-error:") or frame.url in ("", "about:blank"):
        return False
    try:
        return bool(await frame.evaluate("document.getElementById('main') !== null"))
    except Exception:
        return False


async def test_a_foreign_page_cannot_frame_the_hub(
    chromium: Browser,
    foreign_site: ForeignSite,
    hub_process: HubProcess,
    hub_client: aiohttp.ClientSession,
) -> None:
    _api, tender = await host_and_tender(hub_process, hub_client)
    foreign_site.pages["/frames"] = _framing_page(hub_process.base_url, tender)
    watched = await watched_page(chromium)
    page = watched.page
    await page.goto(f"{foreign_site.origin}/frames")
    await page.wait_for_load_state("load")
    frames = [await (await page.query_selector(f"#f{n}")).content_frame() for n in range(3)]  # type: ignore[union-attr]
    for path, frame in zip(FRAMED, frames, strict=True):
        assert frame is not None, path
        assert not await _shows_hub_page(frame), f"{path} was shown inside a foreign page"
    refusals = [line for line in watched.console if "frame-ancestors" in line]
    assert len(refusals) == len(FRAMED), watched.console
    # The same pages load on their own (the test can tell a shown page from a refused one).
    own = await watched_page(chromium, hub_process.base_url)
    for path in FRAMED:
        await own.page.goto(path)
        assert await _shows_hub_page(own.page.main_frame), path
    await page.context.close()
    await own.page.context.close()


# Each body a browser sends cross-site without a preflight.
_POSTS = """
async ([hub, shots]) => {
  for (const [path, text] of shots) {
    const plain = {
      method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: text,
    };
    await fetch(hub + path, plain).catch(() => null);
    const form = new URLSearchParams({ [text]: "" });
    await fetch(hub + path, { method: "POST", mode: "no-cors", body: form }).catch(() => null);
    const multipart = new FormData();
    multipart.append("json", text);
    await fetch(hub + path, { method: "POST", mode: "no-cors", body: multipart }).catch(() => null);
    await fetch(hub + path, { method: "POST", mode: "no-cors" }).catch(() => null);
  }
  // The classic form trick: a text/plain form whose one field spells out JSON.
  const form = document.createElement("form");
  form.method = "POST";
  form.enctype = "text/plain";
  form.action = hub + shots[0][0];
  form.target = "sink";
  const field = document.createElement("input");
  field.name = shots[0][1].slice(0, -2) + ', "x": "';
  field.value = '"}';
  form.append(field);
  const sink = document.createElement("iframe");
  sink.name = "sink";
  document.body.append(sink, form);
  form.submit();
  await new Promise((resolve) => sink.addEventListener("load", resolve, { once: true }));
}
"""


async def test_cross_site_simple_posts_do_not_reach_the_api(
    chromium: Browser,
    foreign_site: ForeignSite,
    hub_process: HubProcess,
    hub_client: aiohttp.ClientSession,
    hub_env: dict[str, str],
) -> None:
    api, tender = await host_and_tender(hub_process, hub_client)
    bundle = json.loads(generate_keys().public.to_json())
    registration = {"org_name": "冒名顶替公司", "contact": "无", "public_bundle": bundle}
    login = {"username": hub_process.host_user, "password": hub_process.host_password}
    offer = {"type": "offer", "sdp": "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"}
    shots = [
        ["/api/bidders", json.dumps(registration, ensure_ascii=False)],
        ["/api/host/login", json.dumps(login)],
        [f"/api/sessions/{tender}/video/view", json.dumps(offer)],
        [f"/api/bidders/{'BD0000000000'}/challenge", "{}"],
    ]
    foreign_site.pages["/posts"] = "<!doctype html><title>活动</title><p>请稍候</p>"
    watched = await watched_page(chromium)
    page = watched.page
    sent: dict[str, str] = {}
    statuses: dict[str, int] = {}

    def sending(event: dict[str, Any]) -> None:
        url = event["request"]["url"]
        if url.startswith(hub_process.base_url):
            sent[event["requestId"]] = url.removeprefix(hub_process.base_url)

    def answer(event: dict[str, Any]) -> None:
        if event["requestId"] in sent:
            statuses[event["requestId"]] = event["statusCode"]

    def response(event: dict[str, Any]) -> None:
        if event["requestId"] in sent:
            statuses[event["requestId"]] = event["response"]["status"]

    # The browser's own network log: it has the status of answers the page may not read
    # (opaque no-cors answers, and those the hub's resource policy keeps from the page).
    devtools = await page.context.new_cdp_session(page)
    await devtools.send("Network.enable")
    devtools.on("Network.requestWillBeSent", sending)
    devtools.on("Network.responseReceivedExtraInfo", answer)
    devtools.on("Network.responseReceived", response)
    await page.goto(f"{foreign_site.origin}/posts")
    access_log = Path(hub_env["BIDOPEN_ACCESS_LOG"])
    before = len(_posts_logged(access_log))
    await page.evaluate(_POSTS, [hub_process.base_url, shots])

    # The hub's access log is the authority on what it answered: 4 bodies for each of 4
    # endpoints and the form, every one refused before its view (415). Chromium's reports
    # of the same answers may lag or go to another frame's target, so they are only checked
    # to agree with it.
    posts = [(path, "415") for path, _ in shots for _ in range(4)] + [(shots[0][0], "415")]
    expected = sorted((redact_path(path), status) for path, status in posts)
    logged: list[tuple[str, str]] = []
    for _ in range(100):
        logged = sorted(_posts_logged(access_log)[before:])
        if len(logged) >= len(expected):
            break
        await asyncio.sleep(0.1)
    await page.context.close()
    assert logged == expected, logged
    seen = {status for status in statuses.values()}
    assert seen <= {415}, (seen, sent)
    # Nothing happened: the key was not registered (its owner registers it now), no viewer.
    status, _ = await api.call("POST", "/api/bidders", json=registration)
    assert status == 201
    _, video = await api.call("GET", f"/api/sessions/{tender}/video/state", expect=200)
    assert video["viewers"] == 0
