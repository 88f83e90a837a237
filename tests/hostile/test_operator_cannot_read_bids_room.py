"""The bidder room never sends a data key that a dishonest operator could read a bid early with.

The browser half of the operator tests (the CLI's are in test_operator_cannot_read_bids_cli.py).
An honest hub sits behind `OperatorProxy`, which rewrites what the hub says (tender bodies,
snapshots on the socket, the clock, postponement notices) and records every data key sent.
The real bidder room, loaded from the proxy's origin in Chromium, seals and submits its bids
there; every attack ends with no data key sent and a message on the page that says why, and
the honest path through the same proxy still opens the real bid.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hosting import honest_at_first, host_command, hub_behind_proxy, open_decryption
from operator_proxy import (
    OperatorProxy,
    replace_answer,
    replace_snapshot_frames,
    replace_tender,
)
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from bidopen.clock import iso
from bidseal import ServerKey, sign_document
from hubprocess import HubProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
LEAD_S = 40  # tender A's deadline after it is created: time enough to seal and submit in a page
STEP_S = 60
SLOW = 30_000
PASSPHRASE = "passphrase of the bidder"


@dataclass
class World:
    """One bidder (keys made in its browser) with bids in tender A (window open) and B (later)."""

    hub: HubProcess
    proxy: OperatorProxy
    context: BrowserContext
    folder: Path
    bidder: str = ""
    a: str = ""
    b: str = ""
    titles: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def host(self, *args: str) -> Any:
        return host_command(self.hub, self.folder, *args)

    def create_tender(self, title: str, in_seconds: int) -> str:
        lots = ("--lot", "1:标段一", "--lot", "2:标段二")
        created = self.host(
            "create-tender", "--title", title, *lots, "--in-seconds", str(in_seconds)
        )
        self.titles[created["id"]] = title
        self.codes[created["id"]] = created.get("code", created["id"])
        return str(created["id"])

    def room(self, tender: str) -> Page:
        """A new tab of the bidder's browser on /bidder?tender=…, signed in with the stored key."""
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.goto(f"/bidder?tender={tender}")
        expect(page.locator("#login-stored")).to_have_value(self.bidder or "", timeout=SLOW)
        page.fill("#login-passphrase", PASSPHRASE)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#workspace")).to_be_visible(timeout=SLOW)
        expect(page.locator("#tender-select")).to_have_value(tender)
        return page

    def submit(self, page: Page, name: str, lot: str, price: str) -> None:
        document = self.folder / f"{name}.pdf"
        document.write_bytes(b"%PDF-1.7 bid " + name.encode() * 100)
        rows = page.locator(f"#my-bids tbody tr[data-lot='{lot}']")
        before = rows.count()
        page.select_option("#submit-lot", lot)
        page.set_input_files("#submit-document", str(document))
        page.fill("#item-price", price)
        page.fill("#item-duration_days", "90")
        page.click("#submit-button")
        expect(page.locator("#submit-message")).to_have_class("message ok", timeout=SLOW)
        expect(rows).to_have_count(before + 1, timeout=SLOW)
        current = page.locator(f"#my-bids tbody tr[data-status=current][data-lot='{lot}'] td.mono")
        self.hashes[name] = current.inner_text(timeout=SLOW).strip()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[World]:
    root = tmp_path_factory.mktemp("operator-room")
    with hub_behind_proxy(root) as (hub, proxy):
        # The page comes from the proxy: the operator serves the room (docs/security.md).
        context = browser.new_context(
            base_url=proxy.origin,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        context.on("dialog", lambda dialog: dialog.accept())
        folder = root / "bidder"
        folder.mkdir()
        try:
            yield _prepare(World(hub, proxy, context, folder))
        finally:
            context.close()


def _prepare(w: World) -> World:
    w.b = w.create_tender("明日开标的项目", 86400)
    page = w.context.new_page()
    page.on("pageerror", lambda error: w.errors.append(str(error)))
    page.goto(f"/bidder?tender={w.b}")
    page.fill("#reg-org", "甲公司")
    page.fill("#reg-contact", "a@x.cn")
    page.fill("#reg-passphrase", PASSPHRASE)
    page.fill("#reg-passphrase2", PASSPHRASE)
    with page.expect_download():
        page.click("#register-form button[type=submit]")
    expect(page.locator("#workspace")).to_be_visible(timeout=SLOW)
    w.bidder = str(page.evaluate("window.bidopenBidder.bidderId()"))
    w.submit(page, "b1", "1", "770000.00")
    page.close()
    # B's deadline moves later: an honest postponement with its signed notice.
    later = datetime.now(UTC) + timedelta(days=2)
    w.host("reschedule", w.b, "--deadline", iso(later), "--reason", "答疑延期")

    created = time.monotonic()
    w.a = w.create_tender("今日开标的项目", LEAD_S)
    page = w.room(w.a)
    w.submit(page, "a1_old", "1", "1000000.00")
    w.submit(page, "a1", "1", "990000.00")
    w.submit(page, "a2", "2", "500000.00")
    page.locator("#my-bids tbody tr[data-status=current][data-lot='2'] button.danger").click()
    withdrawn = page.locator("#my-bids tbody tr[data-status=withdrawn][data-lot='2']")
    expect(withdrawn).to_have_count(1, timeout=SLOW)
    page.close()
    assert time.monotonic() - created < LEAD_S, "too slow to submit before A's deadline"
    time.sleep(max(0.0, LEAD_S + 1 - (time.monotonic() - created)))
    open_decryption(w.host, w.a)
    return w


@pytest.fixture
def proxy(world: World) -> Iterator[OperatorProxy]:
    """The world's proxy with no rewrites and no recorded keys; no uncaught error in a page."""
    world.errors.clear()
    with honest_at_first(world.proxy) as proxy:
        yield proxy
    assert world.errors == [], "uncaught JavaScript errors"


def _listing(w: World, lot: str, name: str) -> dict[str, Any]:
    """The bidder's part of a snapshot that lists the bid `name` as its bid in `lot`."""
    return {
        "bidder": w.bidder,
        "bidder_name": "甲公司",
        "signed_in_at": None,
        "confirmed_at": None,
        "bids": [
            {
                "lot": lot,
                "bid_sha256": w.hashes[name],
                "receipt_no": 1,
                "decrypted_at": None,
                "failed_attempts": 0,
                "outcome": None,
            }
        ],
        "objections": [],
    }


def _says_decryption(w: World, proxy: OperatorProxy, tender: str, lot: str, name: str) -> None:
    """The operator's snapshot of `tender`: decryption is open, and `name` is the bid to open."""
    proxy.rewrite_frames(
        replace_snapshot_frames(
            tender, phase="decryption", paused=False, you=_listing(w, lot, name)
        )
    )


def _click_decrypt(page: Page, lot: str) -> None:
    button = page.locator(f"#decrypt-list li[data-lot='{lot}'] button")
    expect(button).to_be_enabled(timeout=SLOW)
    button.click()


def _refused(page: Page, proxy: OperatorProxy, text: str) -> None:
    message = page.locator("#decrypt-message")
    expect(message).to_have_class("message error", timeout=SLOW)
    expect(message).to_contain_text(text)
    assert proxy.data_keys == []
    page.close()


def test_tender_b_named_during_a_real_window_is_not_opened(
    world: World, proxy: OperatorProxy
) -> None:
    # During A's window the operator describes tender B and lists B's bid as the one to open.
    b_says = {"id": world.b, "code": world.codes[world.b], "title": world.titles[world.b]}
    proxy.rewrite_json(replace_tender(world.a, **b_says))
    b_view = {"code": b_says["code"], "title": b_says["title"]}
    proxy.rewrite_frames(replace_snapshot_frames(world.a, **b_view))
    _says_decryption(world, proxy, world.a, "1", "b1")
    page = world.room(world.a)
    expect(page.locator("#tender-heading")).to_have_text(world.titles[world.b])
    _click_decrypt(page, "1")
    _refused(page, proxy, "不是您在该标段递交的投标文件")


def test_a_snapshot_saying_decryption_before_the_deadline_is_refused(
    world: World, proxy: OperatorProxy
) -> None:
    _says_decryption(world, proxy, world.b, "1", "b1")
    page = world.room(world.b)
    # The room says so before any click: the hub's phase against its own signed deadline.
    expect(page.locator("#release-status")).to_contain_text("平台显示正在解密", timeout=SLOW)
    _click_decrypt(page, "1")
    _refused(page, proxy, "未到，不解密")


def test_a_lying_server_clock_opens_nothing(world: World, proxy: OperatorProxy) -> None:
    future = iso(datetime.now(UTC) + timedelta(days=3))
    proxy.rewrite_json(replace_answer("/api/time", {"now": future, "server_time": future}))
    _says_decryption(world, proxy, world.b, "1", "b1")
    page = world.room(world.b)
    clocks = page.locator("#release-clocks")
    # Both clocks are shown: this computer's (which decides) and the hub's (three days ahead).
    expect(clocks).to_contain_text("本机时钟", timeout=SLOW)
    expect(clocks).to_contain_text("平台时钟")
    _click_decrypt(page, "1")
    _refused(page, proxy, "本机时钟为")


@pytest.mark.parametrize(
    ("lot", "name", "ended", "said"),
    [("1", "a1_old", "replaced", "已被替换的投标"), ("2", "a2", "withdrawn", "已撤回，永不解密")],
    ids=["replaced", "withdrawn"],
)
def test_a_replaced_or_withdrawn_bid_is_never_opened(
    world: World, proxy: OperatorProxy, lot: str, name: str, ended: str, said: str
) -> None:
    _says_decryption(world, proxy, world.a, lot, name)
    page = world.room(world.a)
    # The vault marked the sealed file when the later receipt or the withdrawal arrived.
    stored = page.evaluate(
        "(sha) => import('/static/js/vault.js').then((v) => v.loadSealedBid(sha))",
        world.hashes[name],
    )
    assert stored["ended"] == ended
    _click_decrypt(page, lot)
    _refused(page, proxy, said)


def _notice(key: ServerKey, tender: str, deadline: datetime) -> dict[str, str]:
    return sign_document(
        "postponement",
        {
            "version": 1,
            "tender": tender,
            "previous_deadline": iso(datetime.now(UTC) + timedelta(days=2)),
            "deadline": iso(deadline),
            "reason": "提前开标",
            "at": iso(datetime.now(UTC)),
        },
        key,
    )


def _forged(world: World) -> list[dict[str, str]]:
    """A notice moving B's deadline later, signed by a key that is not the hub's."""
    return [_notice(ServerKey.generate(), world.b, datetime.now(UTC) + timedelta(days=3))]


def _earlier(world: World) -> list[dict[str, str]]:
    """The operator holds the hub's key: it signs a notice moving B's deadline to the past."""
    past = datetime.now(UTC) - timedelta(hours=1)
    return [_notice(ServerKey.load(world.hub.data_dir / "server-key.pem"), world.b, past)]


def _hidden(world: World) -> list[dict[str, str]]:
    """B was postponed; the operator hides the notice (the signed statement still counts it)."""
    return []


@pytest.mark.parametrize(
    ("notices", "said"),
    [
        (_forged, "延期通知签名验证失败"),
        (_earlier, "早于已签署的截止时间"),
        (_hidden, "但只提供 0 份签名延期通知"),
    ],
    ids=["forged", "earlier", "hidden"],
)
def test_a_forged_earlier_or_hidden_postponement_is_refused(
    world: World,
    proxy: OperatorProxy,
    notices: Callable[[World], list[dict[str, str]]],
    said: str,
) -> None:
    path = f"/api/tenders/{world.b}/postponements"
    proxy.rewrite_json(replace_answer(path, {"notices": notices(world)}))
    # The tender body agrees with the earliest deadline the operator would like.
    past = iso(datetime.now(UTC) - timedelta(hours=1))
    proxy.rewrite_json(replace_tender(world.b, deadline=past))
    _says_decryption(world, proxy, world.b, "1", "b1")
    page = world.room(world.b)
    _click_decrypt(page, "1")
    _refused(page, proxy, said)


def test_a_later_deadline_stated_without_a_notice_is_waited_for(
    world: World, proxy: OperatorProxy
) -> None:
    tomorrow = iso(datetime.now(UTC) + timedelta(days=1))
    proxy.rewrite_json(replace_tender(world.a, deadline=tomorrow))
    page = world.room(world.a)
    _click_decrypt(page, "1")
    _refused(page, proxy, "平台声明的截止时间晚于签名截止时间")


def test_the_real_window_opens_the_real_bid_through_the_same_proxy(
    world: World, proxy: OperatorProxy
) -> None:
    page = world.room(world.a)
    page.click("#signin-button")
    expect(page.locator("#signin-status")).to_contain_text("已签到", timeout=SLOW)
    shown: list[str] = []
    page.on("dialog", lambda dialog: shown.append(dialog.message))
    _click_decrypt(page, "1")
    expect(page.locator("#decrypt-message")).to_have_class("message ok", timeout=SLOW)
    assert [key.path for key in proxy.data_keys] == [f"/api/tenders/{world.a}/lots/1/data-key"]
    # Before the key left, the bidder saw what was opened, from its own signed receipt.
    assert len(shown) == 1
    for fact in (world.codes[world.a], world.titles[world.a], "标段一", world.hashes["a1"]):
        assert fact in shown[0], (fact, shown[0])
    expect(page.locator("#decrypt-list li[data-lot='1']")).to_contain_text("已解密", timeout=SLOW)
    page.close()
