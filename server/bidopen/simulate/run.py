"""One simulated opening from start to signed record: hub, host, bidders, public crowd."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bidopen.client import ClientError, EventMessage, HostClient, LotSpec, SessionFeed, TenderDraft
from bidopen.simulate.bidders import SimulatedBidder, all_of, assign_roles
from bidopen.simulate.limits import raise_open_files
from bidopen.simulate.options import (
    READ_OUT,
    RECORD_PUBLISHED,
    VIEWERS_PER_ADDRESS,
    SimulationOptions,
    loopback_sources,
    viewer_plan,
)
from bidopen.simulate.report import SimulationReport
from bidopen.simulate.scoring import Observations, check_record, score
from bidopen.simulate.server_process import ServerProcess, ServerStartError
from bidopen.simulate.usage import (
    own_cpu_seconds,
    own_peak_kib,
    process_cpu_seconds,
    process_peak_kib,
)
from bidopen.simulate.viewer_pool import ViewerPool, ViewerPoolError

LOT = "1"
BIDDERS_PER_ADDRESS = 25
# Waits that end a stuck run with an error instead of hanging.
_SLACK_S = 30.0
_CROWD_TIMEOUT_S = 30.0


class SimulationError(Exception):
    """The run could not go on; the message says at which step and why."""


class Stopwatch:
    """Durations of the phases of a run; with `progress`, each is told on stderr as it ends."""

    def __init__(self, progress: bool) -> None:
        self.start = time.perf_counter()
        self.phases: dict[str, float] = {}
        self._progress = progress

    def say(self, text: str) -> None:
        if self._progress:
            elapsed = time.perf_counter() - self.start
            print(f"[{elapsed:7.2f} s] {text}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.phases[name] = (time.perf_counter() - began) * 1000
        self.say(f"{name} ({self.phases[name]:.0f} ms)")


async def _wait(feed: SessionFeed, kind: str, seconds: float) -> EventMessage:
    try:
        async with asyncio.timeout(seconds):
            return await feed.wait_for(kind)
    except TimeoutError:
        raise SimulationError(f"no {kind} event within {seconds:.0f} s") from None


class Simulation:
    """The steps of one run, in the order a real opening takes them."""

    def __init__(
        self,
        options: SimulationOptions,
        base_url: str,
        server: ServerProcess | None,
        clock: Stopwatch,
    ) -> None:
        self.options = options
        self.base_url = base_url
        self.server = server
        self.clock = clock
        self.problems: list[str] = []

    async def run(self, sessions: list[aiohttp.ClientSession]) -> SimulationReport:
        options = self.options
        host = HostClient(self.base_url, session=sessions[0])
        roles = assign_roles(options.bidders, options.failing, options.objecting)
        bidders = [
            SimulatedBidder(i, role, self.base_url, sessions[i % len(sessions)])
            for i, role in enumerate(roles)
        ]
        pool: ViewerPool | None = None
        try:
            await host.login(options.host_user or "", options.host_password or "")
            with self.clock.phase("bidders_registered"):
                await all_of(bidders, lambda b: b.register())
            lead = options.lead(self.clock.phases["bidders_registered"] / 1000)
            tender = await host.create_tender(
                TenderDraft(
                    title=f"模拟开标 simulated opening ({options.bidders} bidders)",
                    lots=(LotSpec(LOT, "标段一 lot 1"),),
                    deadline=datetime.now(UTC) + timedelta(seconds=lead),
                    decryption_seconds=options.window_seconds,
                    confirmation_seconds=options.window_seconds,
                )
            )
            self.clock.say(f"tender {tender.id}, deadline in {lead:.1f} s")
            feed = (await host.follow(tender.id)).feed
            pool = ViewerPool(
                viewer_plan(self.base_url, tender.id),
                options.viewers,
                loopback_sources(self.base_url, options.viewers, VIEWERS_PER_ADDRESS),
            )
            return await self._open(host, tender.id, feed, bidders, pool, lead)
        finally:
            if pool is not None:
                await pool.close()
            await host.close()
            for bidder in bidders:
                await bidder.client.close()

    async def _open(
        self,
        host: HostClient,
        tender_id: str,
        feed: SessionFeed,
        bidders: list[SimulatedBidder],
        pool: ViewerPool,
        lead: float,
    ) -> SimulationReport:
        with self.clock.phase("bids_uploaded"):
            await all_of(bidders, lambda b: b.bid(tender_id, LOT))
        late = sum(1 for b in bidders if b.late)
        if late:
            self.problems.append(f"{late} bids missed the deadline; try a longer --lead")
        # The audience takes its seats after the uploads, as a hall fills before the
        # opening, so that seating does not slow the bidders down.
        seating = asyncio.create_task(self._seat(pool))
        try:
            deadline = await _wait(feed, "deadline_passed", lead + _SLACK_S)
            self.clock.say(f"deadline passed: {deadline.data.get('counts')} bids")
            for lot in deadline.data.get("quorum_warnings", []):
                # Fewer than 3 bids: the simulation continues, as the rules allow, and says so.
                await host.decide_quorum(tender_id, lot, "continue", "模拟开标：继续开标")
            # The host starts once the hall is full, so that seating the crowd does not eat
            # into the bidders' decryption window.
            joined = await seating
        finally:
            seating.cancel()
        await host.start_decryption(tender_id)
        with self.clock.phase("bids_decrypted"):
            opened = await all_of(bidders, lambda b: b.decrypt(tender_id, LOT))
        read_out = await self._read_out(host, tender_id, feed, all(opened))
        if not await pool.wait_complete(READ_OUT, _CROWD_TIMEOUT_S):
            self.problems.append("not every viewer received the read-out in time")
        with self.clock.phase("confirmation"):
            await self._confirm(host, tender_id, feed, bidders)
        record = await host.publish_record(tender_id)
        self.clock.say(f"record published, sha256 {record.sha256}")
        published = await _wait(feed, "record_published", _SLACK_S)
        if not await pool.wait_complete(RECORD_PUBLISHED, _CROWD_TIMEOUT_S):
            self.problems.append("not every viewer received the record's publication in time")
        log = await host.log(tender_id)  # raises unless every event is its proven leaf
        server_peak = server_cpu = None
        if self.server is not None and self.server.pid is not None:
            server_peak = process_peak_kib(self.server.pid)
            server_cpu = process_cpu_seconds(self.server.pid)
        crowd = await pool.finish()
        self.clock.phases["total"] = (time.perf_counter() - self.clock.start) * 1000
        server_errors = sum(b.server_errors for b in bidders)
        if server_errors:
            self.problems.append(
                f"the hub answered {server_errors} requests with 500/503 (retried)"
            )
        in_time = [b for b in bidders if not b.late]
        failing = sum(1 for b in in_time if b.role.fails_to_decrypt)
        seen = Observations(
            feed=tuple(feed.history),
            record=check_record(record, read_out, published, log),
            crowd=crowd,
            viewers_joined=joined,
            expected_outcomes={"opened": len(in_time) - failing, "revoked": failing},
        )
        return score(
            self.options,
            tender_id,
            seen,
            server="spawned" if self.server is not None else self.base_url,
            phase_ms=self.clock.phases,
            rss_kib={
                "server": server_peak,
                "viewer_workers": sum(crowd.worker_peak_kib),
                "driver": own_peak_kib(),
            },
            cpu_s={
                "server": server_cpu,
                "viewer_workers": sum(crowd.worker_cpu_s),
                "driver": own_cpu_seconds(),
            },
            problems=self.problems,
        )

    async def _seat(self, pool: ViewerPool) -> int:
        with self.clock.phase("viewers_seated"):
            joined, errors = await pool.start()
        if errors:
            self.problems.append(f"{len(errors)} viewers could not join, e.g. {errors[0]}")
        return joined

    async def _read_out(
        self, host: HostClient, tender_id: str, feed: SessionFeed, all_opened: bool
    ) -> EventMessage:
        if all_opened:
            await host.close_decryption(tender_id)
        # Otherwise the window runs out and the hub's scheduler closes it, classifying the
        # bids left encrypted.
        read_out = await _wait(feed, "read_out", self.options.window_seconds + _SLACK_S)
        self.clock.say("read out")
        return read_out

    async def _confirm(
        self, host: HostClient, tender_id: str, feed: SessionFeed, bidders: list[SimulatedBidder]
    ) -> None:
        in_time = await all_of(
            bidders,
            lambda b: b.respond_to_readout(tender_id, after_s=self.options.reading_delay(b.index)),
        )
        objectors = [b for b in bidders if b.objection_id is not None]
        for _ in objectors:
            raised = await _wait(feed, "objection_raised", _SLACK_S)
            objection_id = str(raised.data["objection_id"])
            await host.answer_objection(
                tender_id, objection_id, "主持人答复：已核实，唱标无误（模拟）"
            )
        # Answered, the objectors confirm too, so the host may close the window early.
        in_time += await all_of(objectors, lambda b: b.confirm(tender_id))
        late = in_time.count(False)
        if late:
            self.problems.append(f"{late} confirmations or objections came after the window")
        try:
            await host.close_confirmation(tender_id)
        except ClientError as error:
            # Someone's confirmation missed the window: the hub's scheduler closes it.
            if error.code not in ("confirmation_incomplete", "illegal_in_phase"):
                raise
        await _wait(feed, "confirmation_closed", self.options.window_seconds + _SLACK_S)


@contextlib.asynccontextmanager
async def _http_sessions(base_url: str, bidders: int) -> AsyncIterator[list[aiohttp.ClientSession]]:
    """One pool per source address, so a hub's per-address request budget sees many callers."""
    sources = loopback_sources(base_url, bidders, BIDDERS_PER_ADDRESS) or (None,)
    async with contextlib.AsyncExitStack() as stack:
        sessions = []
        for source in sources:
            local = None if source is None else (source, 0)
            connector = aiohttp.TCPConnector(limit=64, local_addr=local)
            session = aiohttp.ClientSession(connector=connector)
            sessions.append(await stack.enter_async_context(session))
        yield sessions


async def _run(
    options: SimulationOptions, url: str, server: ServerProcess | None, clock: Stopwatch
) -> SimulationReport:
    async with _http_sessions(url, options.bidders) as sessions:
        return await Simulation(options, url.rstrip("/"), server, clock).run(sessions)


async def simulate(options: SimulationOptions) -> list[SimulationReport]:
    """Run `options.runs` openings on one hub, started in its own process unless given a URL."""
    raise_open_files(options.viewers + 4096)
    machine = machine_load()
    if options.url is not None:
        try:
            return [
                dataclasses.replace(
                    await _run(options, options.url, None, Stopwatch(options.progress)),
                    machine=machine,
                )
                for _ in range(options.runs)
            ]
        except (ClientError, ViewerPoolError) as error:
            raise SimulationError(str(error)) from error
    # A failed run keeps its folder (hub log, database) for a look; a good one leaves nothing.
    data_dir = options.data_dir or Path(tempfile.mkdtemp(prefix="bidopen-simulate-"))
    password = secrets.token_urlsafe(16)
    server = ServerProcess(
        data_dir,
        env={
            "BIDOPEN_BOOTSTRAP_HOST": f"simulation:{password}",
            # Here every simulated party shares one address; real ones come from many.
            "BIDOPEN_PUBLIC_MAX_CONNECTIONS_PER_IP": str(options.viewers + 100),
            "BIDOPEN_PUBLIC_REQUESTS_PER_MINUTE": str(1_000_000),
            "BIDOPEN_LOG_LEVEL": "WARNING",
        },
        log_path=data_dir / "server.log",
    )
    reports: list[SimulationReport] = []
    try:
        clock = Stopwatch(options.progress)
        with clock.phase("hub_started"):
            await server.start()
        hosted = dataclasses.replace(options, host_user="simulation", host_password=password)
        for _ in range(options.runs):
            report = await _run(hosted, server.url, server, clock)
            reports.append(dataclasses.replace(report, machine=machine))
            clock = Stopwatch(options.progress)
    except (ClientError, SimulationError, ServerStartError, ViewerPoolError) as error:
        raise SimulationError(f"{error} (hub log: {server.log_path})") from error
    finally:
        await server.stop()
    if options.data_dir is None and all(report.ok for report in reports):
        shutil.rmtree(data_dir, ignore_errors=True)
    return reports


def machine_load() -> dict[str, float]:
    """CPUs and load when the run began: figures from a busy machine are read with care."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {"cpus": float(os.cpu_count() or 0), "load_average_1m": round(load[0], 2)}
