"""What people do in the pages, as steps the browser tests share (host, bidders, the public)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
from accessibility import serious_violations
from playwright.async_api import Browser, BrowserContext, Download, Page, ViewportSize, expect

from bidopen.client import BidderClient, HostClient, LotSpec, TenderDraft, seal_in_memory
from bidseal import generate_keys

BEIJING = timezone(timedelta(hours=8))
SCREEN_SIZE: ViewportSize = {"width": 1920, "height": 1080}
LAPTOP_SIZE: ViewportSize = {"width": 1366, "height": 768}
# Long enough for a slow machine, short enough to wait for.
SLOW = 30_000


@dataclass
class PageLog:
    """What a page reported: uncaught exceptions fail the test that owns the page."""

    name: str
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


@dataclass
class Browsers:
    """Opens browser contexts (one per person) and keeps their pages' logs."""

    browser: Browser
    base_url: str
    logs: list[PageLog] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    async def page(
        self, name: str, *, size: ViewportSize | None = None, lang: str = "zh-CN"
    ) -> Page:
        context = await self.browser.new_context(
            base_url=self.base_url,
            viewport=size or SCREEN_SIZE,
            locale=lang,
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        self.contexts.append(context)
        page = await context.new_page()
        log = PageLog(name)
        self.logs.append(log)
        page.on("pageerror", lambda error: log.errors.append(str(error)))
        page.on("console", lambda message: log.console.append(f"{message.type}: {message.text}"))
        # Confirmations (withdraw, stop a lot, close a window) are accepted, as a person would.
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    async def accessibility_findings(self) -> list[str]:
        """axe-core's serious and critical findings on every page still open on the hub."""
        found: list[str] = []
        for context in self.contexts:
            for page in context.pages:
                if page.is_closed() or not page.url.startswith(self.base_url):
                    continue
                found += [f"{page.url}: {line}" for line in await serious_violations(page)]
        return found

    def uncaught(self) -> list[str]:
        return [f"{log.name}: {error}" for log in self.logs for error in log.errors]


Shooter = Callable[[Page, str], Awaitable[Path]]


def beijing_local(at: datetime) -> str:
    """The `datetime-local` text the host types: Beijing wall-clock time, to the second."""
    return at.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M:%S")


def bidopen(*args: str, cwd: Path | None = None) -> str:
    """Run the `bidopen` command of this checkout, as a bidder would on its own machine."""
    done = subprocess.run(
        [sys.executable, "-m", "bidopen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"bidopen {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def keygen(folder: Path, passphrase: str) -> Path:
    """`bidopen keygen` into `folder`; returns the key file (fewer KDF rounds keep tests quick)."""
    passphrase_file = folder.parent / f"{folder.name}.passphrase"
    passphrase_file.write_text(passphrase + "\n", encoding="utf-8")
    bidopen(
        "keygen",
        "--out",
        str(folder),
        "--passphrase-file",
        str(passphrase_file),
        "--iterations",
        "1000",
    )
    return folder / "bidder-key.json"


def seal_with_cli(
    key_dir: Path, document: Path, context: str, items: dict[str, str], out: Path
) -> Path:
    """`bidopen seal` a document for `context` (TENDER/LOT/BIDDER)."""
    summary = out.parent / f"{out.name}.summary.json"
    summary.write_text(json.dumps({"items": items}, ensure_ascii=False), encoding="utf-8")
    bidopen(
        "seal",
        str(document),
        "--key-dir",
        str(key_dir),
        "--context",
        context,
        "--summary",
        str(summary),
        "--out",
        str(out),
        "--passphrase-file",
        str(key_dir.parent / f"{key_dir.name}.passphrase"),
    )
    return out


async def public_view(base_url: str, session_id: str) -> dict[str, object]:
    """The public snapshot of a session, as the big screen loads it."""
    async with (
        aiohttp.ClientSession(base_url=base_url) as http,
        http.get(f"/api/sessions/{session_id}") as response,
    ):
        body = await response.json()
    return dict(body["view"])


async def bidder_login(
    page: Page, bidder_id: str, key_file: Path, passphrase: str, tender: str
) -> None:
    """Sign in to the bidder room of `tender` with a key file and its passphrase."""
    await page.goto(f"/bidder?tender={tender}")
    await page.fill("#login-bidder-id", bidder_id)
    await page.set_input_files("#login-key-file", str(key_file))
    await page.fill("#login-passphrase", passphrase)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#workspace")).to_be_visible(timeout=SLOW)


async def host_login(page: Page, user: str, password: str) -> None:
    await page.goto("/host")
    await page.fill("#login-username", user)
    await page.fill("#login-password", password)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#console")).to_be_visible()


async def create_tender(page: Page, title: str, deadline: datetime) -> str:
    """Fill in the host's new-tender form (one lot, the default read-out); returns the code."""
    await page.fill("#create-title", title)
    await page.fill("#create-deadline", beijing_local(deadline))
    await page.click("#create-form button[type=submit]")
    await expect(page.locator("#create-message")).to_have_class("message ok")
    # The console opens the new tender's session by itself.
    await expect(page.locator("#session-title")).to_have_text(title, timeout=SLOW)
    return await page.locator("#session-code").inner_text()


async def register_with_new_keys(
    page: Page, org: str, contact: str, passphrase: str, *, keep_key_file: Path | None = None
) -> str:
    """Register in the bidder room with keys made in the browser; returns the bidder id.
    The key file the page downloads is saved as `keep_key_file` when one is given."""
    await page.fill("#reg-org", org)
    await page.fill("#reg-contact", contact)
    await page.fill("#reg-passphrase", passphrase)
    await page.fill("#reg-passphrase2", passphrase)
    async with page.expect_download() as download:
        await page.click("#register-form button[type=submit]")
    key_file = await download.value
    assert key_file.suggested_filename.startswith("bidder-key-")
    if keep_key_file is not None:
        keep_key_file.parent.mkdir(parents=True, exist_ok=True)
        await key_file.save_as(keep_key_file)
    await expect(page.locator("#workspace")).to_be_visible(timeout=SLOW)
    return str(await page.evaluate("window.bidopenBidder.bidderId()"))


async def register_with_key_file(
    page: Page, org: str, contact: str, key_file: Path, passphrase: str
) -> str:
    await page.fill("#reg-org", org)
    await page.fill("#reg-contact", contact)
    await page.check("#reg-existing")
    await page.set_input_files("#reg-key-file", str(key_file))
    await page.fill("#reg-passphrase", passphrase)
    await page.click("#register-form button[type=submit]")
    await expect(page.locator("#workspace")).to_be_visible(timeout=SLOW)
    return str(await page.evaluate("window.bidopenBidder.bidderId()"))


async def host_command(page: Page, command: str, **fields: str) -> None:
    """Fill in and press one of the host's controls, and wait for the hub's acceptance."""
    form = page.locator(f"#controls form[data-command={command}]")
    await expect(form).to_be_visible(timeout=SLOW)
    for name, value in fields.items():
        await form.locator(f"[name={name}]").fill(value)
    await form.locator("button[type=submit]").click()
    message = page.locator("#session-message")
    await expect(message).to_be_visible(timeout=SLOW)
    await expect(message).to_have_class("message ok")


async def indexed_key_files(page: Page) -> list[dict[str, Any]]:
    """What the bidder room keeps in IndexedDB, read through its own module."""
    result = await page.evaluate(
        "import('/static/js/vault.js').then((vault) => vault.listKeyFiles())"
    )
    assert isinstance(result, list)
    return result


async def downloaded_json(download: Download) -> Any:
    """The JSON a page handed to the browser's download manager."""
    path = await download.path()
    return json.loads(await asyncio.to_thread(Path(path).read_text, encoding="utf-8"))


async def focus_is_in(page: Page, selector: str) -> str:
    """Where the focus is (tag#id), after checking that it is inside `selector`: an action
    must not drop it to <body>, where a screen reader starts again from the top."""
    where: str = await page.evaluate(
        """(selector) => {
          const active = document.activeElement;
          const inside = Boolean(active && active !== document.body && active.closest(selector));
          return `${inside ? "" : "outside "}${active?.tagName}#${active?.id}`;
        }""",
        selector,
    )
    assert not where.startswith("outside"), f"focus {where}, not in {selector}"
    return where


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


@dataclass
class ScriptedBidder:
    """A bidder played by the Python client (the page under test is someone else's)."""

    client: BidderClient
    sealed: bytes
    lot: str = "1"
    # The signed receipt the bidder kept (a browser without it asks for it at decryption).
    receipt: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScriptedOpening:
    """A session driven from Python up to the decryption window, for tests of one page."""

    host: HostClient
    tender: str
    bidders: list[ScriptedBidder]

    async def publish_record(self) -> None:
        """Every bidder decrypts and confirms, the host closes both windows and publishes
        the opening record: the session is then ready for the evaluation."""
        for bidder in self.bidders:
            await bidder.client.decrypt(self.tender, bidder.lot, bidder.sealed)
        await self.host.close_decryption(self.tender)
        for bidder in self.bidders:
            await bidder.client.confirm(self.tender)
        await self.host.close_confirmation(self.tender)
        await self.host.publish_record(self.tender)

    async def publish_sample_result(self) -> dict[str, dict[str, str]]:
        """Lot 1's result for three bidders: the first is the first candidate, the third the
        second; the second's bid is rejected under a clause. The reasons, by bidder id."""
        first, second, third = (bidder.client.bidder_id for bidder in self.bidders)
        reasons = {
            second: {
                "disposition": "rejected",
                "clause": "第3.2条",
                "text": "报价高于最高投标限价",
            },
        }
        await self.host.command(
            self.tender,
            "publish_result",
            {
                "lot": "1",
                "outcome": "candidates",
                "candidates": [
                    {"bidder": first, "score": "95.50"},
                    {"bidder": third, "score": "90.00"},
                ],
                "reasons": reasons,
                "publicity_days": 3,
            },
        )
        return reasons

    async def close(self) -> None:
        for bidder in self.bidders:
            await bidder.client.close()
        await self.host.close()


async def wait_past_deadline(host: HostClient, tender: str, within_s: float) -> None:
    """Poll the host's view until the scheduler's deadline tick has been logged."""
    for _ in range(int(within_s / 0.25)):
        if (await host.snapshot(tender)).view["phase"] != "scheduled":
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"{tender} still before its deadline after {within_s} s")


async def opening_in_decryption(
    base_url: str,
    user: str,
    password: str,
    prices: list[str],
    *,
    names: list[str] | None = None,
    lots: list[str] | None = None,
    lead_s: float | None = None,
    ceiling: str | None = None,
    tenderer: str | None = None,
    agency: str | None = None,
) -> ScriptedOpening:
    """Create a tender, have one scripted bidder per price seal and submit (bidder n is
    `names[n]`, default 投标人n有限公司, in lot `lots[n]`, default "1"), pass the deadline and
    open the decryption window; nobody has decrypted yet."""
    names = names or [f"投标人{n}有限公司" for n in range(1, len(prices) + 1)]
    lots = lots or ["1"] * len(prices)
    host = HostClient(base_url)
    await host.login(user, password)
    # Accounts first: the deadline then only has to wait for the uploads.
    clients = []
    for n, name in enumerate(names, start=1):
        client = BidderClient(base_url, generate_keys())
        await client.register(name, f"联系人{n}")
        await client.login()
        clients.append(client)
    lead_s = lead_s if lead_s is not None else 6 + 0.4 * len(prices)
    draft = TenderDraft(
        title="城区供水管网改造工程",
        lots=tuple(
            LotSpec(id=lot, name=f"第{lot}标段", ceiling=ceiling) for lot in dict.fromkeys(lots)
        ),
        deadline=soon(lead_s),
        tenderer=tenderer,
        agency=agency,
    )
    tender = (await host.create_tender(draft)).id
    bidders = []
    for client, price, lot in zip(clients, prices, lots, strict=True):
        sealed, _ = seal_in_memory(
            client.keys,
            client.context(tender, lot),
            b"bid document",
            {"price": price, "duration_days": "100"},
        )
        receipt = await client.submit(tender, lot, sealed)
        await client.sign_in(tender)
        bidders.append(ScriptedBidder(client, sealed, lot, dict(receipt.envelope)))
    await wait_past_deadline(host, tender, lead_s + 30)
    await host.start_decryption(tender)
    return ScriptedOpening(host, tender, bidders)
