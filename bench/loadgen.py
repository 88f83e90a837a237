"""Load generator of the benchmarks: thousands of socket.io viewers in a few worker processes.

Each viewer is a bare asyncio protocol over TCP to 127.0.0.1 that speaks WebSocket,
Engine.IO v4 and Socket.IO v5 with the simulation's codecs (`bidopen.simulate.websocket`,
`bidopen.simulate.socketio_wire`).  A viewer does the least a measurement needs: answer
pings, and for every event the first time it arrives keep the wall-clock arrival time and a
hash of the exact frame, so that the benchmark can check that every viewer got the same
bytes.  It does not parse the JSON, so the load generator spends its two shared cores on
receiving, not on decoding, and time to the last viewer measures the server.

Standalone use, against a server that is already running on 127.0.0.1:

    python bench/loadgen.py --port 8080 --namespace /public --auth '{"room": "bench"}' \\
        --viewers 5000 --event readout
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from bidopen.simulate import socketio_wire as wire
from bidopen.simulate.limits import raise_open_files
from bidopen.simulate.websocket import (
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameDecoder,
    Inflater,
    Message,
    UpgradeResponse,
    WebSocketProtocolError,
    encode_frame,
    make_handshake,
)

LOOPBACK = "127.0.0.1"
ENGINEIO_WEBSOCKET_PATH = "/socket.io/?EIO=4&transport=websocket"
# Handshakes in flight per worker: fills thousands of seats in seconds without overflowing
# the server's accept backlog.
_HANDSHAKES_IN_FLIGHT = 128
_JOIN_TIMEOUT_S = 60.0
# Worker replies carry every arrival time: far longer than asyncio's 64 KiB line default.
_PIPE_LIMIT = 64 * 1024 * 1024


class AudienceError(Exception):
    """Some viewers could not join, a worker died, or an event did not reach everyone."""


@dataclass(frozen=True)
class AudienceSpec:
    """Who the audience is: how many viewers, where they connect, how they are spread."""

    port: int
    namespace: str
    viewers: int
    auth: dict[str, Any] | None = None
    viewers_per_worker: int = 2500
    # Offer permessage-deflate, as browsers do; compressed messages are inflated on arrival.
    deflate: bool = False
    # Where the websocket is opened (another path for a server that is not python-socketio).
    path: str = ENGINEIO_WEBSOCKET_PATH

    def __post_init__(self) -> None:
        if self.viewers < 1 or self.viewers_per_worker < 1:
            raise ValueError("an audience needs at least one viewer and one per worker")
        if not self.namespace.startswith("/"):
            raise ValueError(f"invalid socket.io namespace {self.namespace!r}")

    @property
    def workers(self) -> int:
        return math.ceil(self.viewers / self.viewers_per_worker)

    def shares(self) -> list[int]:
        base, extra = divmod(self.viewers, self.workers)
        return [base + (1 if index < extra else 0) for index in range(self.workers)]


@dataclass(frozen=True)
class Arrivals:
    """When each viewer first got one event, and how many viewers got each exact frame."""

    event: str
    arrivals_ns: tuple[int, ...]
    frames: dict[str, int]


# --- one viewer, inside a worker ------------------------------------------------------


@dataclass
class _Seat:
    joined: bool = False
    error: str | None = None


class _Viewer(asyncio.Protocol):
    """A read-only socket.io client living entirely in protocol callbacks."""

    def __init__(self, spec: AudienceSpec, seat: _Seat, crowd: _Crowd) -> None:
        self._seat = seat
        self._crowd = crowd
        self._namespace = spec.namespace
        self._auth = spec.auth
        self._event_prefix = f"42{spec.namespace},"
        host = f"{LOOPBACK}:{spec.port}"
        # Same origin as the server, which python-socketio accepts without configuration.
        self._handshake = make_handshake(host, spec.path, f"http://{host}", deflate=spec.deflate)
        self._upgrade = UpgradeResponse(self._handshake)
        self._decoder = FrameDecoder()
        self._inflater: Inflater | None = None
        self._seen: set[str] = set()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self._handshake.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._crowd.lost(self._seat, f"connection lost: {exc}")

    def data_received(self, data: bytes) -> None:
        try:
            if not self._upgrade.complete:
                data = self._upgrade.feed(data)
                if self._upgrade.deflate is not None:
                    self._inflater = self._upgrade.deflate.inflater()
                    self._decoder.deflate = True
            for message in self._decoder.feed(data):
                if message.compressed and self._inflater is not None:
                    message = Message(message.opcode, self._inflater.inflate(message.payload))
                if message.opcode == OP_TEXT:
                    self._on_text(message.payload)
                elif message.opcode == OP_PING:
                    self._write(OP_PONG, message.payload)
                elif message.opcode == OP_CLOSE:
                    self.close()
        except (WebSocketProtocolError, UnicodeDecodeError) as error:
            self._crowd.lost(self._seat, str(error))
            self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _write(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None:
            self.transport.write(encode_frame(opcode, payload))

    def _on_text(self, payload: bytes) -> None:
        received_ns = time.time_ns()
        if payload.startswith(b"42/"):
            text = payload.decode("utf-8")
            if text.startswith(self._event_prefix) and text[len(self._event_prefix) + 1] == '"':
                # Event names are plain words: the name ends at the next quote.
                start = len(self._event_prefix) + 2
                event = text[start : text.index('"', start)]
                if event not in self._seen:
                    self._seen.add(event)
                    self._crowd.saw(event, received_ns, payload)
            return
        text = payload.decode("utf-8")
        if text == wire.ENGINE_PING:
            self._write(OP_TEXT, wire.ENGINE_PONG.encode())
        elif text.startswith(wire.ENGINE_OPEN):
            self._write(OP_TEXT, wire.encode_connect(self._namespace, self._auth).encode())
        elif text.startswith(f"40{self._namespace},"):
            self._crowd.joined(self._seat)
        elif text.startswith(f"44{self._namespace},"):
            self._crowd.lost(self._seat, f"namespace refused: {text[:200]}")
            self.close()


# --- the worker process -------------------------------------------------------------


class _Crowd:
    """One worker's viewers and the bookkeeping of what they saw; O(1) per arrival."""

    def __init__(self, spec: AudienceSpec, count: int) -> None:
        self.spec = spec
        self.seats = [_Seat() for _ in range(count)]
        self.viewers: list[_Viewer] = []
        self._settled: dict[int, asyncio.Event] = {}
        self._joined = 0
        self._arrivals: dict[str, list[int]] = {}
        self._frames: dict[str, Counter[str]] = {}

    def joined(self, seat: _Seat) -> None:
        if not seat.joined:
            seat.joined = True
            self._joined += 1
            self._settled[id(seat)].set()

    def lost(self, seat: _Seat, reason: str) -> None:
        if seat.error is None:
            seat.error = reason
            if seat.joined:
                self._joined -= 1
            self._settled[id(seat)].set()

    def saw(self, event: str, received_ns: int, frame: bytes) -> None:
        arrivals = self._arrivals.setdefault(event, [])
        arrivals.append(received_ns)
        frames = self._frames.setdefault(event, Counter())
        frames[hashlib.blake2b(frame, digest_size=8).hexdigest()] += 1
        if len(arrivals) == self._joined:
            _say({"type": "saw", "event": event})

    async def join_all(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(_HANDSHAKES_IN_FLIGHT)

        async def join(seat: _Seat) -> None:
            settled = self._settled[id(seat)] = asyncio.Event()
            async with gate:
                try:
                    _, viewer = await loop.create_connection(
                        lambda: _Viewer(self.spec, seat, self), LOOPBACK, self.spec.port
                    )
                except OSError as error:
                    self.lost(seat, f"connect failed: {error}")
                    return
                self.viewers.append(viewer)
                try:
                    await asyncio.wait_for(settled.wait(), _JOIN_TIMEOUT_S)
                except TimeoutError:
                    self.lost(seat, "no namespace connect within the timeout")

        await asyncio.gather(*(join(seat) for seat in self.seats))
        errors = [seat.error for seat in self.seats if seat.error is not None]
        return {"type": "joined", "joined": self._joined, "errors": errors[:5]}

    def report(self) -> dict[str, Any]:
        return {
            "type": "report",
            "joined": self._joined,
            "events": {
                event: {"arrivals_ns": arrivals, "frames": dict(self._frames[event])}
                for event, arrivals in self._arrivals.items()
            },
            "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _serve_parent() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_PIPE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    job = json.loads(await reader.readline())
    spec = AudienceSpec(**job["spec"])
    raise_open_files(job["count"] + 256)
    crowd = _Crowd(spec, job["count"])
    try:
        _say(await crowd.join_all())
        while line := await reader.readline():
            if json.loads(line).get("command") == "report":
                _say(crowd.report())
    finally:
        for viewer in crowd.viewers:
            viewer.close()


# --- the parent's side ------------------------------------------------------------


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.saw: set[str] = set()
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reading = asyncio.create_task(self._read())

    async def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        await self.process.stdin.drain()

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            if message["type"] == "saw":
                self.saw.add(message["event"])
            else:
                self.replies.put_nowait(message)
        self.replies.put_nowait({"type": "exit"})

    async def reply(self, kind: str) -> dict[str, Any]:
        message = await self.replies.get()
        if message["type"] != kind:
            raise AudienceError(f"viewer worker {self.process.pid} said {message['type']}")
        return message


class Audience:
    """A crowd of viewers in worker processes, joined on entry and closed on exit.

    ``async with Audience(spec) as audience:`` returns once every viewer is in the
    namespace; ``await audience.saw(event)`` returns once every viewer has the event;
    ``await audience.arrivals(event)`` gives the arrival times and frame hashes.
    """

    def __init__(self, spec: AudienceSpec) -> None:
        self.spec = spec
        self._workers: list[_Worker] = []
        self._report: list[dict[str, Any]] | None = None

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers]

    async def __aenter__(self) -> Audience:
        try:
            for count in self.spec.shares():
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--worker",
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=_PIPE_LIMIT,
                )
                worker = _Worker(process)
                self._workers.append(worker)
                await worker.send({"spec": self.spec.__dict__, "count": count})
            joined, errors = 0, []
            for worker in self._workers:
                summary = await worker.reply("joined")
                joined += summary["joined"]
                errors += summary["errors"]
            if joined != self.spec.viewers:
                raise AudienceError(
                    f"{joined} of {self.spec.viewers} viewers joined; first errors: {errors[:3]}"
                )
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def saw(self, event: str, timeout_s: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout_s
        while not all(event in worker.saw for worker in self._workers):
            if loop.time() > give_up:
                raise AudienceError(f"not every viewer saw {event!r} within {timeout_s} s")
            await asyncio.sleep(0.005)

    async def arrivals(self, event: str) -> Arrivals:
        """Every viewer's first arrival of `event`; asks the workers once, at the first call."""
        if self._report is None:
            for worker in self._workers:
                await worker.send({"command": "report"})
            self._report = [await worker.reply("report") for worker in self._workers]
        times: list[int] = []
        frames: Counter[str] = Counter()
        for report in self._report:
            seen = report["events"].get(event, {"arrivals_ns": [], "frames": {}})
            times += seen["arrivals_ns"]
            frames.update(seen["frames"])
        return Arrivals(event, tuple(times), dict(frames))

    def worker_peaks_kib(self) -> list[int]:
        return [report["peak_rss_kib"] for report in self._report or []]

    async def close(self) -> None:
        for worker in self._workers:
            if worker.process.stdin is not None:
                worker.process.stdin.close()
        for worker in self._workers:
            try:
                await asyncio.wait_for(worker.process.wait(), 10)
            except TimeoutError:
                worker.process.kill()
                await worker.process.wait()
            await worker.reading
        self._workers = []


async def _watch(spec: AudienceSpec, events: Sequence[str]) -> None:
    async with Audience(spec) as audience:
        print(f"{spec.viewers} viewers joined {spec.namespace}", file=sys.stderr, flush=True)
        figures = {}
        for event in events:
            await audience.saw(event, timeout_s=24 * 3600)
        for event in events:
            seen = await audience.arrivals(event)
            first = min(seen.arrivals_ns)
            figures[event] = {
                "viewers": len(seen.arrivals_ns),
                "first_to_last_ms": round((max(seen.arrivals_ns) - first) / 1e6, 1),
                "distinct_frames": len(seen.frames),
            }
    print(json.dumps(figures, indent=2))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help="server port on 127.0.0.1")
    parser.add_argument("--namespace", default="/public")
    parser.add_argument("--auth", type=json.loads, default=None, help="connect auth, JSON")
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--viewers-per-worker", type=int, default=2500)
    parser.add_argument("--event", action="append", help="event to wait for (repeatable)")
    args = parser.parse_args(argv)
    if args.worker:
        asyncio.run(_serve_parent())
        return
    if args.port is None or not args.event:
        parser.error("--port and at least one --event are required")
    spec = AudienceSpec(args.port, args.namespace, args.viewers, args.auth, args.viewers_per_worker)
    asyncio.run(_watch(spec, args.event))


if __name__ == "__main__":
    main()
