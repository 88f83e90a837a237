"""Helpers of the hostile-party tests: a foreign web origin, pages watched for policy reports."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
from hubtesting import HubApi
from playwright.async_api import Browser, Page

from hubprocess import HubProcess


@dataclass
class ForeignSite:
    """A web origin that is not the hub's (another host name and port), serving given pages."""

    pages: dict[str, str]
    port: int = 0

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"


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


async def host_and_tender(hub: HubProcess, http: aiohttp.ClientSession) -> tuple[HubApi, str]:
    """The bootstrap host, signed in, and a new tender in its bidding phase."""
    api = HubApi(http)
    await api.login_host(hub.host_user, hub.host_password)
    return api, str((await api.create_tender())["id"])
