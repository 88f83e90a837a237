"""The parent's side of the viewer workers: start them, wait for seats, collect what they saw."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from bidopen.simulate.viewer import ViewerPlan

# One worker per this many viewers: a worker's loop then handles a read-out burst in a few ms.
VIEWERS_PER_WORKER = 1250
MAX_WORKERS = 8
# A worker's report lists every viewer's arrival times on one line.
_REPORT_LINE_LIMIT = 64 * 1024 * 1024


def worker_count(viewers: int, cpus: int) -> int:
    """How many worker processes hold `viewers`: one per VIEWERS_PER_WORKER, but never so
    many that they crowd the hub's own core.

    The hub writes a broadcast from one core; workers beyond the remaining cores take CPU
    time from it and from each other exactly when a broadcast is measured (on 2 cores,
    four workers made the hub's pass over 5,000 viewers twice as slow as one worker).
    """
    wanted = -(-viewers // VIEWERS_PER_WORKER)
    return max(1, min(MAX_WORKERS, cpus - 1, wanted))


class ViewerPoolError(Exception):
    """A viewer worker died or said something the parent cannot read."""


@dataclass(frozen=True)
class CrowdReport:
    """What all the workers' viewers saw, merged."""

    joined: int
    errors: int
    arrivals_ns: dict[str, list[int]]
    digests: dict[str, dict[str, int]]
    worker_peak_kib: tuple[int, ...]
    worker_cpu_s: tuple[float, ...]


def split(total: int, workers: int) -> list[int]:
    """Share `total` viewers among `workers` as evenly as possible."""
    base, extra = divmod(total, workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
        await self.process.stdin.drain()

    async def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            code = await self.process.wait()
            raise ViewerPoolError(f"viewer worker {self.process.pid} exited with {code}")
        try:
            message: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError as error:
            raise ViewerPoolError(f"viewer worker said {line[:80]!r}: {error}") from None
        return message


class ViewerPool:
    """Worker processes holding the simulated public audience of one run."""

    def __init__(self, plan: ViewerPlan, count: int, source_ips: tuple[str, ...] = ()) -> None:
        self._plan = plan
        self._count = count
        self._source_ips = source_ips
        self._workers: list[_Worker] = []
        self._pending: dict[int, list[dict[str, Any]]] = {}

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers]

    async def start(self) -> tuple[int, list[str]]:
        """Start the workers and wait until every viewer joined or failed: (joined, errors)."""
        if self._count == 0:
            return 0, []
        workers = worker_count(self._count, os.cpu_count() or 1)
        for index, count in enumerate(split(self._count, workers)):
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bidopen.simulate.viewer_worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=_REPORT_LINE_LIMIT,
            )
            worker = _Worker(process)
            self._workers.append(worker)
            # Each worker gets its own slice of source addresses, so per-address limits hold.
            ips = self._source_ips[index::workers] or self._source_ips
            await worker.send({"plan": self._plan.to_json(), "count": count, "source_ips": ips})
        joined = 0
        errors: list[str] = []
        for worker in self._workers:
            summary = await self._expect(worker, "joined")
            joined += int(summary["joined"])
            errors.extend(summary["errors"])
        return joined, errors

    async def wait_complete(self, event: str, timeout_s: float) -> bool:
        """Wait until every joined viewer saw `event`; False if the timeout ran out first."""
        try:
            async with asyncio.timeout(timeout_s):
                for worker in self._workers:
                    await self._expect(worker, "complete", event=event)
        except TimeoutError:
            return False
        return True

    async def finish(self) -> CrowdReport:
        """Ask every worker for its report; the workers then close their viewers and exit."""
        joined = errors = 0
        arrivals: dict[str, list[int]] = {event: [] for event in self._plan.watch}
        digests: dict[str, dict[str, int]] = {event: {} for event in self._plan.watch}
        peaks: list[int] = []
        cpu: list[float] = []
        for worker in self._workers:
            await worker.send({"command": "finish"})
        for worker in self._workers:
            report = await self._expect(worker, "report")
            joined += int(report["joined"])
            errors += int(report["errors"])
            peaks.append(int(report["max_rss_kib"]))
            cpu.append(float(report["cpu_s"]))
            for event, seen in report["sightings"].items():
                arrivals[event].extend(seen["received_ns"])
                for digest, count in seen["digests"].items():
                    digests[event][digest] = digests[event].get(digest, 0) + count
        await self.close()
        return CrowdReport(joined, errors, arrivals, digests, tuple(peaks), tuple(cpu))

    async def close(self) -> None:
        for worker in self._workers:
            if worker.process.returncode is None:
                if worker.process.stdin is not None:
                    worker.process.stdin.close()
                try:
                    await asyncio.wait_for(worker.process.wait(), 5.0)
                except TimeoutError:
                    worker.process.kill()
                    await worker.process.wait()
        self._workers = []

    async def _expect(self, worker: _Worker, kind: str, **match: Any) -> dict[str, Any]:
        # Messages that arrive early (a "complete" before we ask for it) wait in a queue.
        queue = self._pending.setdefault(worker.process.pid, [])
        while True:
            for message in queue:
                if message.get("type") == kind and all(
                    message.get(k) == v for k, v in match.items()
                ):
                    queue.remove(message)
                    return message
            queue.append(await worker.receive())
