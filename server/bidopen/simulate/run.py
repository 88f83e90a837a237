"""One simulated opening from start to signed record: hub, host, bidders, public crowd."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bidopen.client import (
    ClientError,
    EventMessage,
    HostClient,
    LotSpec,
    SessionFeed,
    SignedDocument,
    TenderDraft,
)
from bidopen.clock import parse_iso
from bidopen.simulate.bidders import SimulatedBidder, all_of, assign_roles
from bidopen.simulate.limits import raise_open_files
from bidopen.simulate.memory import own_peak_kib, process_peak_kib
from bidopen.simulate.report import RecordCheck, SimulationReport, count_outcomes
from bidopen.simulate.server_process import ServerProcess, ServerStartError
from bidopen.simulate.stats import Spread
from bidopen.simulate.viewer import ViewerPlan
from bidopen.simulate.viewer_pool import CrowdReport, ViewerPool

LOT = "1"
READ_OUT = "event/read_out"
RECORD_PUBLISHED = "event/record_published"
# Waits that end a stuck run with an error instead of hanging.
_DEADLINE_SLACK_S = 30.0
_CROWD_TIMEOUT_S = 30.0


class SimulationError(Exception):
    """The run could not go on; the message says at which step and why."""


@dataclass(frozen=True)
class SimulationOptions:
    bidders: int
    viewers: int
    failing: int = 0
    objecting: int = 0
    url: str | None = None
    host_user: str | None = None
    host_password: str | None = None
    lead_seconds: float | None = None
    data_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.bidders < 1:
            raise ValueError("--bidders must be at least 1")
        if self.viewers < 0:
            raise ValueError("--viewers must not be negative")
        assign_roles(self.bidders, self.failing, self.objecting)
        if self.url is not None and not (self.host_user and self.host_password):
            raise ValueError("with --url, give the host account (--host-user and its password)")
        if self.lead_seconds is not None and self.lead_seconds < 1:
            raise ValueError("--lead must be at least 1 second")

    @property
    def lead(self) -> float:
        """Seconds from creating the tender to its deadline: room for every upload."""
        if self.lead_seconds is not None:
            return self.lead_seconds
        return 3.0 + 0.03 * self.bidders


def viewer_plan(base_url: str, session_id: str) -> ViewerPlan:
    parts = urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname is None:
        raise ValueError("cheap viewers speak plain http://host:port only")
    return ViewerPlan(
        host=parts.hostname,
        port=parts.port or 80,
        path="/socket.io/?EIO=4&transport=websocket",
        origin=f"{parts.scheme}://{parts.netloc}",
        namespace="/public",
        connect_auth={"session_id": session_id},
        ready_event="snapshot",
        watch=frozenset({READ_OUT, RECORD_PUBLISHED}),
    )


def loopback_sources(base_url: str, viewers: int) -> tuple[str, ...]:
    """Spread viewers over 127.x addresses so a hub's per-address cap does not refuse them."""
    host = urlsplit(base_url).hostname or ""
    if not host.startswith("127.") or not sys.platform.startswith("linux"):
        return ()
    count = max(1, -(-viewers // 40))
    return tuple(f"127.1.{i // 250}.{i % 250 + 1}" for i in range(count))


class _Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.phases: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str) -> Any:
        began = time.perf_counter()
        yield
        self.phases[name] = (time.perf_counter() - began) * 1000


async def _wait(feed: SessionFeed, kind: str, seconds: float) -> EventMessage:
    try:
        async with asyncio.timeout(seconds):
            return await feed.wait_for(kind)
    except TimeoutError:
        raise SimulationError(f"no {kind} event within {seconds:.0f} s") from None


class Simulation:
    """The steps of one run; `run` returns the report."""

    def __init__(self, options: SimulationOptions, base_url: str, server: ServerProcess | None):
        self.options = options
        self.base_url = base_url
        self.server = server
        self.clock = _Stopwatch()
        self.problems: list[str] = []

    async def run(self, http: aiohttp.ClientSession) -> SimulationReport:
        options = self.options
        host = HostClient(self.base_url, session=http)
        roles = assign_roles(options.bidders, options.failing, options.objecting)
        bidders = [SimulatedBidder(i, role, self.base_url, http) for i, role in enumerate(roles)]
        try:
            await host.login(options.host_user or "", options.host_password or "")
            with self.clock.phase("bidders_registered"):
                await all_of(bidders, lambda b: b.register())
            draft = TenderDraft(
                title=f"模拟开标 simulated opening ({options.bidders} bidders)",
                lots=(LotSpec(LOT, "标段一 lot 1"),),
                deadline=datetime.now(UTC) + timedelta(seconds=options.lead),
                decryption_minutes=1,
                confirmation_minutes=1,
            )
            tender = await host.create_tender(draft)
            feed = (await host.follow(tender.id)).feed
            pool = ViewerPool(
                viewer_plan(self.base_url, tender.id),
                options.viewers,
                loopback_sources(self.base_url, options.viewers),
            )
            seating = asyncio.create_task(self._seat(pool))
            try:
                return await self._open(host, tender.id, feed, bidders, pool, seating)
            finally:
                seating.cancel()
                with contextlib.suppress(BaseException):
                    await seating
                await pool.close()
        finally:
            await host.close()
            for bidder in bidders:
                await bidder.client.close()

    async def _seat(self, pool: ViewerPool) -> int:
        with self.clock.phase("viewers_seated"):
            joined, errors = await pool.start()
        if errors:
            self.problems.append(f"{len(errors)} viewers could not join, e.g. {errors[0]}")
        return joined

    async def _open(
        self,
        host: HostClient,
        tender_id: str,
        feed: SessionFeed,
        bidders: list[SimulatedBidder],
        pool: ViewerPool,
        seating: asyncio.Task[int],
    ) -> SimulationReport:
        options = self.options
        with self.clock.phase("bids_uploaded"):
            await all_of(bidders, lambda b: b.bid(tender_id, LOT))
        deadline_event = await _wait(feed, "deadline_passed", options.lead + _DEADLINE_SLACK_S)
        for lot in deadline_event.data.get("quorum_warnings", []):
            # Fewer than 3 bids: the simulation continues, as the rules allow, and says why.
            await host.decide_quorum(tender_id, lot, "continue", "模拟开标：继续开标")
        await host.start_decryption(tender_id)
        with self.clock.phase("bids_decrypted"):
            await all_of(bidders, lambda b: b.decrypt(tender_id, LOT))
        joined = await seating
        if options.failing == 0:
            await host.close_decryption(tender_id)
        # Otherwise the window runs out (the hub counts it in whole minutes) and the hub's
        # scheduler closes it, classifying the bids left encrypted.
        read_out = await _wait(feed, "read_out", 60.0 + _DEADLINE_SLACK_S)
        closed = next(m for m in feed.history if m.kind == "decryption_closed")
        if not await pool.wait_complete(READ_OUT, _CROWD_TIMEOUT_S):
            self.problems.append("not every viewer received the read-out in time")

        with self.clock.phase("confirmation"):
            await all_of(bidders, lambda b: b.respond_to_readout(tender_id))
            for _ in range(options.objecting):
                raised = await _wait(feed, "objection_raised", _DEADLINE_SLACK_S)
                await host.answer_objection(
                    tender_id,
                    str(raised.data["objection_id"]),
                    "主持人答复：已核实，唱标无误（模拟）",
                )
            objectors = [b for b in bidders if b.role.objects]
            await all_of(objectors, lambda b: b.client.confirm(tender_id))
            await host.close_confirmation(tender_id)
        record = await host.publish_record(tender_id)
        published = await _wait(feed, "record_published", _DEADLINE_SLACK_S)
        if not await pool.wait_complete(RECORD_PUBLISHED, _CROWD_TIMEOUT_S):
            self.problems.append("not every viewer received the record's publication in time")
        record_check = await self._check_record(host, tender_id, record, read_out, published)

        server_peak = (
            None
            if self.server is None or self.server.pid is None
            else (process_peak_kib(self.server.pid))
        )
        crowd = await pool.finish()
        return self._report(
            tender_id,
            feed,
            deadline_event,
            closed,
            read_out,
            record_check,
            crowd,
            joined,
            server_peak,
        )

    async def _check_record(
        self,
        host: HostClient,
        tender_id: str,
        record: SignedDocument,
        read_out: EventMessage,
        published: EventMessage,
    ) -> RecordCheck:
        log = await host.log(tender_id)  # raises unless the hash chain verifies
        logged = [e for e in log if e.kind == "record_published"]
        matches_log = bool(logged) and logged[-1].payload.get("sha256") == record.sha256
        matches_readout = record.payload.get("readout") == read_out.data.get("lots")
        if published.data.get("sha256") != record.sha256:
            matches_log = False
        if not matches_readout:
            self.problems.append("the record's read-out differs from the read-out event")
        if not matches_log:
            self.problems.append("the record's hash differs from the logged publication")
        return RecordCheck(record.sha256, True, matches_readout, matches_log)

    def _report(
        self,
        tender_id: str,
        feed: SessionFeed,
        deadline_event: EventMessage,
        closed: EventMessage,
        read_out: EventMessage,
        record: RecordCheck,
        crowd: CrowdReport,
        joined: int,
        server_peak: int | None,
    ) -> SimulationReport:
        options = self.options
        counts = deadline_event.data.get("counts", {})
        outcomes = count_outcomes(closed.data.get("outcomes", []))
        confirmation = next(m for m in feed.history if m.kind == "confirmation_closed")
        read_out_at = parse_iso(str(read_out.data["at"]))
        deadline = parse_iso(str(deadline_event.data["deadline"]))
        reference_ns = int(read_out_at.timestamp() * 1e9)
        arrivals = crowd.arrivals_ns[READ_OUT]
        expected = {"opened": options.bidders - options.failing, "revoked": options.failing}
        for status, number in expected.items():
            if outcomes.get(status) != number:
                self.problems.append(
                    f"expected {number} {status} bids, found {outcomes.get(status)}"
                )
        if len(crowd.digests[READ_OUT]) > 1:
            self.problems.append("viewers received different read-outs")
        self.clock.phases["total"] = (time.perf_counter() - self.clock.start) * 1000
        return SimulationReport(
            bidders=options.bidders,
            viewers=options.viewers,
            failing=options.failing,
            objecting=options.objecting,
            server="spawned" if self.server is not None else self.base_url,
            tender=tender_id,
            bids_received=sum(int(n) for n in counts.values()),
            outcomes=outcomes,
            objections_raised=len(feed.seen("objection_raised")),
            objections_answered=len(feed.seen("objection_answered")),
            confirmed=len(confirmation.data.get("confirmed", [])),
            deemed_accepted=len(confirmation.data.get("deemed_accepted", [])),
            record=record,
            viewers_joined=joined,
            viewers_with_readout=len(arrivals),
            viewers_with_record=len(crowd.arrivals_ns[RECORD_PUBLISHED]),
            readout_variants=len(crowd.digests[READ_OUT]),
            deadline_to_readout_ms=round((read_out_at - deadline).total_seconds() * 1000, 1),
            readout_spread=Spread.after(reference_ns, arrivals),
            phase_ms=dict(self.clock.phases),
            rss_kib={
                "server": server_peak,
                "viewer_workers": sum(crowd.worker_peak_kib),
                "driver": own_peak_kib(),
            },
            problems=tuple(self.problems),
        )


async def simulate(options: SimulationOptions) -> SimulationReport:
    """Run one opening; start a hub in its own process unless `options.url` names one."""
    raise_open_files(options.viewers + 4096)
    if options.url is not None:
        return await _run(options, options.url, None)
    # A failed run keeps its folder (hub log, database) for a look; a good one leaves nothing.
    data_dir = options.data_dir or Path(tempfile.mkdtemp(prefix="bidopen-simulate-"))
    password = secrets.token_urlsafe(16)
    server = ServerProcess(
        data_dir,
        env={
            "BIDOPEN_BOOTSTRAP_HOST": f"simulation:{password}",
            "BIDOPEN_PUBLIC_MAX_CONNECTIONS_PER_IP": str(options.viewers + 100),
            "BIDOPEN_LOG_LEVEL": "WARNING",
        },
        log_path=data_dir / "server.log",
    )
    began = time.perf_counter()
    try:
        await server.start()
        started_ms = (time.perf_counter() - began) * 1000
        hosted = dataclasses.replace(options, host_user="simulation", host_password=password)
        report = await _run(hosted, server.url, server)
    except (ClientError, SimulationError, ServerStartError) as error:
        raise SimulationError(f"{error} (hub log: {server.log_path})") from error
    finally:
        await server.stop()
    if options.data_dir is None and report.ok:
        shutil.rmtree(data_dir, ignore_errors=True)
    return dataclasses.replace(report, phase_ms={"hub_started": started_ms, **report.phase_ms})


async def _run(
    options: SimulationOptions, url: str, server: ServerProcess | None
) -> SimulationReport:
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as http:
        return await Simulation(options, url.rstrip("/"), server).run(http)
