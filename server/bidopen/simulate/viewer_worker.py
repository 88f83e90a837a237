"""A worker process that holds a crowd of cheap viewers and reports what they saw.

Talks to its parent over stdin/stdout, one JSON object per line:
parent -> worker: the job first ({"plan": ..., "count": n, ...}), later {"command": "finish"};
worker -> parent: {"type": "joined", ...}, {"type": "complete", "event": ...} when every joined
viewer saw a watched event, and {"type": "report", ...} after "finish", then it exits.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from dataclasses import dataclass
from typing import Any

from bidopen.simulate.limits import raise_open_files
from bidopen.simulate.usage import own_cpu_seconds, own_peak_kib
from bidopen.simulate.viewer import FAILED, JOINED, CheapViewer, ViewerPlan, ViewerState

# Handshakes in flight per worker: enough to fill thousands of seats in seconds without
# overflowing the server's accept backlog.
_HANDSHAKES_IN_FLIGHT = 64
_JOIN_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class CrowdJob:
    plan: ViewerPlan
    count: int
    source_ips: tuple[str, ...]


class Crowd:
    """The viewers of one worker and the bookkeeping that tells the parent about them."""

    def __init__(self, job: CrowdJob) -> None:
        self._job = job
        self.states = [ViewerState() for _ in range(job.count)]
        self._viewers: list[CheapViewer] = []
        self._settled = [asyncio.Event() for _ in range(job.count)]
        self._joining = True
        # Counters, not scans: a sighting must cost O(1) while thousands arrive at once.
        self._seen = dict.fromkeys(job.plan.watch, 0)
        self._announced: set[str] = set()
        # The viewers that joined and have not failed since.
        self._seated: set[int] = set()

    @property
    def joined(self) -> int:
        return len(self._seated)

    async def join_all(self) -> None:
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(_HANDSHAKES_IN_FLIGHT)

        async def join_one(index: int) -> None:
            state = self.states[index]
            async with gate:
                ips = self._job.source_ips
                local = (ips[index % len(ips)], 0) if ips else None
                try:
                    _, viewer = await loop.create_connection(
                        lambda: CheapViewer(
                            self._job.plan, state, lambda change: self._changed(index, change)
                        ),
                        self._job.plan.host,
                        self._job.plan.port,
                        local_addr=local,
                    )
                except OSError as error:
                    state.error = f"connect failed: {error}"
                    return
                self._viewers.append(viewer)
                try:
                    await asyncio.wait_for(self._settled[index].wait(), _JOIN_TIMEOUT_S)
                except TimeoutError:
                    state.error = "no join within the timeout"
                    viewer.close()

        await asyncio.gather(*(join_one(i) for i in range(self._job.count)))
        self._joining = False

    def _changed(self, index: int, change: str) -> None:
        if change in (JOINED, FAILED):
            if change == JOINED and self.states[index].error is None:
                self._seated.add(index)
            else:
                self._seated.discard(index)
            self._settled[index].set()
            return
        if self.states[index].error is None:
            self._seen[change] += 1
        if not self._joining:
            self._announce(change)

    def _announce(self, event: str) -> None:
        if event in self._announced:
            return
        joined = self.joined
        if joined and self._seen[event] >= joined:
            self._announced.add(event)
            _say({"type": "complete", "event": event, "count": joined})

    def joined_summary(self) -> dict[str, Any]:
        errors = [s.error for s in self.states if s.error is not None]
        return {
            "type": "joined",
            "joined": self.joined,
            "failed": len(errors),
            "errors": errors[:5],
        }

    def announce_completed(self) -> None:
        for event in self._job.plan.watch:
            self._announce(event)

    def report(self) -> dict[str, Any]:
        sightings: dict[str, dict[str, Any]] = {}
        for event in sorted(self._job.plan.watch):
            seen = [s.sightings[event] for s in self.states if event in s.sightings]
            digests: dict[str, int] = {}
            # Identical compressed bytes inflate to identical packets: inflate each once.
            inflated: dict[bytes, str] = {}
            for sighting in seen:
                digest = sighting.digest
                if digest is None:
                    digest = inflated.get(sighting.deflated)
                    if digest is None:
                        digest = inflated[sighting.deflated] = sighting.content_digest()
                digests[digest] = digests.get(digest, 0) + 1
            sightings[event] = {
                "received_ns": [sighting.received_ns for sighting in seen],
                "digests": digests,
            }
        return {
            "type": "report",
            "joined": self.joined,
            "errors": sum(1 for s in self.states if s.error is not None),
            "sightings": sightings,
            "max_rss_kib": own_peak_kib(),
            "cpu_s": own_cpu_seconds(),
        }

    def close(self) -> None:
        for viewer in self._viewers:
            viewer.close()


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _read_line(reader: asyncio.StreamReader) -> dict[str, Any]:
    line = await reader.readline()
    if not line:
        raise EOFError("parent closed the pipe")
    data: dict[str, Any] = json.loads(line)
    return data


async def serve_parent() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    job_data = await _read_line(reader)
    job = CrowdJob(
        plan=ViewerPlan.from_json(job_data["plan"]),
        count=int(job_data["count"]),
        source_ips=tuple(job_data.get("source_ips", ())),
    )
    raise_open_files(job.count + 256)
    crowd = Crowd(job)
    try:
        await crowd.join_all()
        # The seated crowd lives until the run ends. Frozen, it is no longer walked by the
        # cyclic collector, whose full passes over it took 65-86 ms: one falling on a
        # broadcast would stall every viewer of this worker and be measured as the hub's.
        gc.freeze()
        _say(crowd.joined_summary())
        crowd.announce_completed()
        while True:
            try:
                command = await _read_line(reader)
            except EOFError:
                return
            if command.get("command") == "finish":
                _say(crowd.report())
                return
    finally:
        crowd.close()


def main() -> None:
    asyncio.run(serve_parent())


if __name__ == "__main__":
    main()
