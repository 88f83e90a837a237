"""One task that sleeps until the earliest session deadline and submits a Tick for it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bidopen.clock import Clock, iso
from bidopen.metrics import HubMetrics
from bidopen.service.sessions import SessionService
from bidopen.session.phases import Phase
from bidopen.session.state import OpeningSession
from bidopen.store import nodes
from bidopen.store.db import Database

log = logging.getLogger("bidopen.scheduler")

# Sessions changed by other nodes reach this node's table at once through the Redis
# doorbell (`notice`); without it, new sessions are found by a look at the list of session
# ids every PASS, and changed ones by a full rescan every RESCAN.
PASS = timedelta(seconds=2)
RESCAN = timedelta(seconds=30)
RETRY = timedelta(seconds=1)
MAX_RETRY = timedelta(minutes=5)

Ticker = Callable[[str], Awaitable[None]]
FaultRecorder = Callable[[str, datetime, datetime], Awaitable[None]]


class Scheduler:
    """Keeps `next_deadline` of every live session; wakes at the earliest and ticks it.

    The submission deadline is ticked `grace` late: an upload whose last byte was stored
    before the deadline may still be committing, and the tick must see it.

    A session that cannot be loaded, scheduled or ticked is that session's fault only: it
    is logged, listed in `faults()` (the host sees it in its snapshot), and retried with a
    growing pause, while every other session starts and ticks as usual.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        sessions: SessionService,
        *,
        tick: Ticker,
        record_outage: FaultRecorder,
        grace: timedelta,
        heartbeat: timedelta,
        metrics: HubMetrics | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._sessions = sessions
        self._tick = tick
        self._record_outage = record_outage
        self._grace = grace
        self._heartbeat = heartbeat
        self._due: dict[str, datetime] = {}
        self._faults: dict[str, str] = {}
        self._failures: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._known: set[str] = set()
        self._stale: set[str] = set()
        self._metrics = metrics
        self.last_pass: float | None = None
        # When this node's heartbeats began to fail (the database unreachable), if they do.
        self._database_lost_at: datetime | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.node_id = secrets.token_hex(8)
        self._started_at = clock.now()

    def due(self) -> dict[str, datetime]:
        """When each session will next be ticked (a copy, for tests and the operator)."""
        return dict(self._due)

    def faults(self) -> dict[str, str]:
        """Sessions the scheduler could not serve, with what went wrong (for their host)."""
        return dict(self._faults)

    def _flag(self, session_id: str, what: str) -> None:
        self._faults[session_id] = what

    def notice(self, session_id: str) -> None:
        """Another node committed to this session: read it again at the next pass (at once)."""
        self._stale.add(session_id)
        self._wake.set()

    def session_changed(self, session_id: str, state: OpeningSession) -> None:
        self._known.add(session_id)
        deadline = state.next_deadline
        if deadline is None:
            self._due.pop(session_id, None)
        else:
            extra = self._grace if state.phase is Phase.SCHEDULED else timedelta(0)
            try:
                self._due[session_id] = deadline + extra
            except OverflowError:
                # Only a deadline stored before ranges were checked can be this far out.
                log.error("session %s: its deadline %s cannot be scheduled", session_id, deadline)
                self._flag(session_id, "deadline_out_of_range")
                self._due.pop(session_id, None)
        self._wake.set()

    async def start(self) -> None:
        """Resume every session from the log, record any outage, then start ticking."""
        async with self._db.read() as conn:
            last_alive = await nodes.last_seen_of_others(conn, self.node_id)
        await self._beat()
        now = self._clock.now()
        # A node that is alive beats every `heartbeat`; a silence well beyond that means no
        # node was serving, so open decryption windows ran while bidders could not decrypt.
        silent = last_alive is not None and now - last_alive > 2.5 * self._heartbeat
        outage_since = last_alive if silent else None
        for session_id in await self._sessions.session_ids():
            try:
                await self._resume(session_id, outage_since, now)
            except Exception:
                log.exception("session %s could not be resumed; the others go on", session_id)
                self._flag(session_id, "resume_failed")
                self._due[session_id] = now + RETRY
        self._tasks = [
            asyncio.create_task(self._run(), name="scheduler"),
            asyncio.create_task(self._heartbeats(), name="heartbeat"),
        ]

    async def _resume(self, session_id: str, outage_since: datetime | None, now: datetime) -> None:
        state = (await self._sessions.load(session_id)).state
        if outage_since is not None and _window_overlaps(state, outage_since):
            log.warning(
                "session %s: platform was down from %s to %s during decryption",
                session_id,
                iso(outage_since),
                iso(now),
            )
            if state.window_elapsed(now):
                # The window ended while no node ran: too late to record the fault in the
                # log (it could withdraw bids after the fact). The host is told, and decides.
                log.warning("session %s: its decryption window ended during the outage", session_id)
                self._flag(session_id, "window_ended_during_outage")
            else:
                await self._record_outage(session_id, outage_since, now)
                state = (await self._sessions.load(session_id)).state
        self.session_changed(session_id, state)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _beat(self) -> None:
        async with self._db.write() as conn:
            await nodes.beat(conn, self.node_id, self._started_at, self._clock.now())

    async def _heartbeats(self) -> None:
        last_beat = self._clock.now()
        while True:
            await asyncio.sleep(self._heartbeat.total_seconds())
            try:
                await self._beat()
            except Exception as exc:
                if self._database_lost_at is None:
                    self._database_lost_at = last_beat
                    log.error("heartbeat failed (%s): the database is unreachable", exc)
                if self._metrics is not None:
                    self._metrics.database_errors.inc()
                continue
            last_beat = self._clock.now()
            if self._database_lost_at is not None:
                since, self._database_lost_at = self._database_lost_at, None
                await self._database_returned(since, last_beat)

    async def _database_returned(self, since: datetime, now: datetime) -> None:
        """Record the outage in every decryption window it fell in (bidders could not decrypt)."""
        log.warning("the database is reachable again (unreachable since %s)", iso(since))
        for session_id in list(self._known):
            try:
                await self._resume(session_id, since, now)
            except Exception:
                log.exception("session %s: the database outage could not be recorded", session_id)

    async def _rescan(self) -> None:
        for session_id in await self._sessions.session_ids():
            if self._failures.get(session_id):
                continue  # its retry is already due
            self._sessions.forget(session_id)
            try:
                self.session_changed(session_id, (await self._sessions.load(session_id)).state)
            except Exception:
                log.exception("session %s could not be loaded", session_id)
                self._flag(session_id, "load_failed")

    async def _discover(self) -> None:
        """Read sessions this node has not seen (created elsewhere) and those another node
        changed (the doorbell)."""
        stale, self._stale = self._stale, set()
        try:
            new = set(await self._sessions.session_ids()) - self._known
        except Exception:
            self._stale |= stale
            raise
        for session_id in sorted(new | stale):
            if self._failures.get(session_id):
                continue  # its retry is already due
            try:
                self.session_changed(session_id, (await self._sessions.load(session_id)).state)
            except Exception:
                log.exception("session %s could not be loaded", session_id)
                self._flag(session_id, "load_failed")

    async def _run(self) -> None:
        next_rescan = self._clock.now() + RESCAN
        while True:
            now = self._clock.now()
            self.last_pass = now.timestamp()
            if self._metrics is not None:
                self._metrics.scheduler_last_pass.set(self.last_pass)
            try:
                if now >= next_rescan:
                    next_rescan = now + RESCAN
                    await self._rescan()
                await self._discover()
            except Exception as exc:
                # Without its traceback: during a database outage this repeats every pass.
                log.error("looking for new or changed sessions failed: %s", type(exc).__name__)
            due = [sid for sid, at in self._due.items() if at <= now]
            for session_id in due:
                if self._metrics is not None:
                    lag = (self._clock.now() - self._due[session_id]).total_seconds()
                    self._metrics.scheduler_lag.observe(max(lag, 0.0))
                await self._tick_one(session_id)
            earliest = min([*self._due.values(), next_rescan, self._clock.now() + PASS])
            delay = max((earliest - self._clock.now()).total_seconds(), 0.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _tick_one(self, session_id: str) -> None:
        try:
            await self._tick(session_id)
            # A tick that decided nothing (another node was first) still needs the new deadline.
            self.session_changed(session_id, (await self._sessions.load(session_id)).state)
        except Exception:
            failures = self._failures.get(session_id, 0) + 1
            self._failures[session_id] = failures
            pause = min(RETRY * 2 ** min(failures - 1, 10), MAX_RETRY)
            log.exception("tick of session %s failed (%d times); retrying", session_id, failures)
            self._flag(session_id, "tick_failed")
            self._due[session_id] = self._clock.now() + pause
        else:
            if self._failures.pop(session_id, None) is not None:
                log.info("session %s ticks again", session_id)
            if self._faults.get(session_id) in ("tick_failed", "resume_failed", "load_failed"):
                del self._faults[session_id]


def _window_overlaps(state: OpeningSession, since: datetime) -> bool:
    """True when the session's decryption window was running while the platform was down."""
    if state.phase is not Phase.DECRYPTION or state.ends_at is None:
        return False
    started = state.decryption_started_at
    return started is not None and since < state.ends_at
