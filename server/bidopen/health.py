"""Liveness and readiness, as a load balancer and a monitoring system ask a node for them.

`/healthz` says only that the process answers. `/readyz` runs every readiness check and
answers 503 when one fails, naming it with its reason. Each check is a small coroutine
registered by name (`Readiness.add`); a part of the hub that must be healthy for the node
to serve (the transparency log's "a checkpoint signed recently", for instance) adds its
own in `bidopen.app._readiness`.

`/metrics` serves the Prometheus metrics. It is not for the public: the shipped nginx
configuration does not pass it through, and docs/deployment.md says to scrape the nodes
directly on the internal network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from sqlalchemy import text

from bidopen.clock import Clock
from bidopen.http.declared import answers
from bidopen.metrics import CONTENT_TYPE_LATEST, HubMetrics
from bidopen.store.db import Database
from bidopen.wire.answers import Alive, ReadinessReport

# A check that has not answered in this time has failed: a hung database is not ready.
CHECK_TIMEOUT_SECONDS = 2.0


class NotReady(Exception):
    """A readiness check failed; the message is the reason shown in `/readyz`."""


# A check returns a short description of what it found, or raises NotReady.
Check = Callable[[], Awaitable[str]]


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


class Readiness:
    """The named checks of one node, run together for each `/readyz`."""

    def __init__(self, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
        self._checks: dict[str, Check] = {}
        self._timeout = timeout

    def add(self, name: str, check: Check) -> None:
        if name in self._checks:
            raise ValueError(f"readiness check {name!r} is already registered")
        self._checks[name] = check

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._checks)

    async def run(self) -> list[CheckResult]:
        return list(await asyncio.gather(*(self._run(n, c) for n, c in self._checks.items())))

    async def _run(self, name: str, check: Check) -> CheckResult:
        try:
            async with asyncio.timeout(self._timeout):
                return CheckResult(name, True, await check())
        except NotReady as exc:
            return CheckResult(name, False, str(exc))
        except TimeoutError:
            return CheckResult(name, False, f"no answer in {self._timeout:g} s")
        except Exception as exc:
            return CheckResult(name, False, f"{type(exc).__name__}")


def database_check(db: Database, metrics: HubMetrics) -> Check:
    async def check() -> str:
        try:
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            metrics.database_errors.inc()
            raise NotReady(f"database unreachable ({type(exc).__name__})") from None
        return "reachable"

    return check


def scheduler_check(last_pass: Callable[[], float | None], clock: Clock, limit: timedelta) -> Check:
    """The scheduler's loop ran within `limit` (it runs at least every few seconds)."""

    async def check() -> str:
        at = last_pass()
        if at is None:
            raise NotReady("the scheduler has not started")
        age = clock.now().timestamp() - at
        if age > limit.total_seconds():
            raise NotReady(f"the scheduler last ran {age:.1f} s ago")
        return f"ran {age:.1f} s ago"

    return check


def add_operations_routes(app: web.Application, readiness: Readiness, metrics: HubMetrics) -> None:
    @answers(Alive)
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    @answers(ReadinessReport, status=200)
    @answers(ReadinessReport, status=503, description="A check failed; it names the reason.")
    async def readyz(request: web.Request) -> web.Response:
        results = await readiness.run()
        ready = all(r.ok for r in results)
        body = {
            "ready": ready,
            "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results},
        }
        return web.json_response(body, status=200 if ready else 503)

    @answers(media_type=CONTENT_TYPE_LATEST, description="The Prometheus metrics.")
    async def metrics_view(request: web.Request) -> web.Response:
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
