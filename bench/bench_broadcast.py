"""Benchmark of the public broadcast: our fan-out, plain aiohttp (the limit) and python-socketio.

One server process holds two namespaces configured as the hub configures its own:
`/public` goes through `FanoutManager` (the fast path), `/plain` through python-socketio's
stock `emit(..., to=room)`; beside them a bare aiohttp websocket endpoint speaks just
enough Engine.IO to seat the same viewers and broadcasts by writing one pre-encoded
frame to each socket's transport, with no checks at all: the limit of a broadcast on
this machine.  For each audience size and each path, a crowd of cheap
viewers in worker processes (bench/loadgen.py) joins one room; the benchmark then asks the
server, over HTTP, for a number of broadcasts.  The server stamps the wall clock just before
it emits; every viewer stamps the wall clock when the event reaches it.  Printed as JSON:
time to the last viewer, viewer p50/p99, deliveries per second, medians over every
broadcast of every run.

    python bench/bench_broadcast.py                       # 1000, 2000, 5000 viewers, 5 runs
    python bench/bench_broadcast.py --viewers 5000 --runs 1 --payload readout
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
import socketio
from aiohttp import web

from bidopen.realtime.fanout import FanoutManager
from bidopen.realtime.frames import encode_event_message, encode_text_frame
from bidopen.realtime.nodes import FanoutRedisManager
from bidopen.simulate.limits import raise_open_files
from bidopen.simulate.server_process import free_port
from bidopen.simulate.stats import Spread, percentile
from bidopen.simulate.usage import process_peak_kib
from loadgen import Audience, AudienceSpec

ROOM = "bench"
# The socket.io server of the bench app, for benchmarks that build on it (bench_fanout_pass).
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)
MODES = {"fanout": "/public", "emit": "/plain", "aiohttp": "/aiohttp"}
# The bare aiohttp endpoint's websocket (not python-socketio's /socket.io/).
AIOHTTP_PATH = "/aiohttp-ws/?EIO=4&transport=websocket"
_AIOHTTP_OPEN = (
    '0{"sid":"bench","upgrades":[],"pingInterval":300000,"pingTimeout":300000,"maxPayload":1000000}'
)
_START_TIMEOUT_S = 30.0
# Quiet time between two broadcasts, so that each one starts from an idle server.
_PAUSE_S = 0.3


# --- the server process -----------------------------------------------------------


def readout_payload(kind: str, bidders: int) -> dict[str, Any]:
    """A doorbell (what the hub sends for most events) or a whole read-out of `bidders`."""
    if kind == "doorbell":
        return {"kind": "read_out", "data": {"lots": 1}}
    return {
        "kind": "read_out",
        "data": {
            "lots": [
                {
                    "lot": "lot-1",
                    "bids": [
                        {
                            "bidder": f"bidder-{index:04d}",
                            "name": f"第{index}投标有限公司",
                            "price": f"{12_345_678 + index * 1_001}.00",
                            "duration_days": 365,
                            "quality": "合格",
                        }
                        for index in range(bidders)
                    ],
                }
            ]
        },
    }


def create_bench_app(redis_url: str | None = None, channel: str = "") -> web.Application:
    # The hub's own settings, less what does not touch a broadcast (origins, message size);
    # with Redis the hub's manager for several nodes (RealtimeHub).
    manager = FanoutRedisManager(redis_url, channel=channel) if redis_url else FanoutManager()
    sio = socketio.AsyncServer(
        async_mode="aiohttp", client_manager=manager, logger=False, engineio_logger=False
    )

    for namespace in MODES.values():

        async def connect(sid: str, environ: Any, auth: Any, namespace: str = namespace) -> None:
            # One room per session, as in the hub (bench_nodes seats a second session).
            room = auth.get("room") if isinstance(auth, dict) else None
            if not isinstance(room, str):
                raise socketio.exceptions.ConnectionRefusedError("unknown room")
            await sio.enter_room(sid, room, namespace=namespace)

        sio.on("connect", connect, namespace=namespace)
    plain = PlainAiohttpRoom()

    async def broadcast(request: web.Request) -> web.Response:
        order = await request.json()
        namespace = MODES[order["mode"]]
        message = {"seq": order["seq"], **readout_payload(order["payload"], order["bidders"])}
        if order["mode"] == "aiohttp":
            sent_ns, cpu_ns = time.time_ns(), time.thread_time_ns()
            direct = plain.broadcast(namespace, order["event"], message)
            returned_ns, cpu_ns = time.time_ns(), time.thread_time_ns() - cpu_ns
        else:
            before = manager.fanout.totals
            sent_ns, cpu_ns = time.time_ns(), time.thread_time_ns()
            room = order.get("room", ROOM)
            await sio.emit(order["event"], message, to=room, namespace=namespace)
            returned_ns, cpu_ns = time.time_ns(), time.thread_time_ns() - cpu_ns
            direct = manager.fanout.totals.direct - before.direct
        return web.json_response(
            {
                "sent_ns": sent_ns,
                "returned_ns": returned_ns,
                "cpu_ns": cpu_ns,
                "written_directly": direct,
            }
        )

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        # What this node did: written directly, and (with Redis) emits of other nodes it
        # passed over undecoded because it has no client in their room.
        passed_over = manager.passed_over if isinstance(manager, FanoutRedisManager) else None
        return web.json_response(
            {"written_directly": manager.fanout.totals.direct, "passed_over": passed_over}
        )

    async def subscribe(app: web.Application) -> None:
        # As RealtimeHub.start: a node hears the others before its first client connects.
        sio.manager_initialized = True
        manager.initialize()

    app = web.Application()
    app[SOCKETIO] = sio
    app.on_startup.append(subscribe)
    sio.attach(app)
    app.router.add_post("/bench/broadcast", broadcast)
    app.router.add_get("/bench/health", health)
    app.router.add_get("/bench/stats", stats)
    app.router.add_get(AIOHTTP_PATH.split("?")[0], plain.websocket)
    return app


class PlainAiohttpRoom:
    """The limit: aiohttp websockets, one pre-encoded frame written to each transport.

    It speaks just enough Engine.IO and Socket.IO for the load generator's viewers to
    seat themselves (the open packet, the namespace connect); a broadcast is one loop of
    `transport.write` over the room, without yields, order checks or buffer limits.
    """

    def __init__(self) -> None:
        self._transports: dict[web.WebSocketResponse, asyncio.Transport] = {}

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        await ws.send_str(_AIOHTTP_OPEN)
        namespace = MODES["aiohttp"]
        try:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT and message.data.startswith(
                    f"40{namespace},"
                ):
                    auth = json.loads(message.data[len(namespace) + 3 :] or "null")
                    if not isinstance(auth, dict) or auth.get("room") != ROOM:
                        await ws.send_str(f'44{namespace},{{"message":"unknown room"}}')
                        continue
                    assert request.transport is not None
                    self._transports[ws] = request.transport
                    await ws.send_str(f'40{namespace},{{"sid":"{id(ws)}"}}')
        finally:
            self._transports.pop(ws, None)
        return ws

    def broadcast(self, namespace: str, event: str, payload: Any) -> int:
        frame = encode_text_frame(encode_event_message(namespace, event, payload))
        for transport in self._transports.values():
            transport.write(frame)
        return len(self._transports)


def serve(port: int, loop_name: str, redis_url: str | None = None, channel: str = "") -> None:
    raise_open_files(65_536)
    loop = None
    if loop_name == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    web.run_app(
        create_bench_app(redis_url, channel),
        host="127.0.0.1",
        port=port,
        print=None,
        backlog=4096,
        loop=loop,
    )


# --- the driver -------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One broadcast to one crowd."""

    mode: str
    viewers: int
    run: int
    last_ms: float
    p50_ms: float
    p99_ms: float
    emit_returned_ms: float
    emit_cpu_ms: float


@dataclass(frozen=True)
class Summary:
    """Medians over the samples of one (mode, viewers) cell."""

    mode: str
    viewers: int
    samples: int
    last_ms_median: float
    last_ms_p99: float
    last_ms_max: float
    p50_ms_median: float
    p99_ms_median: float
    deliveries_per_s_median: int
    emit_returned_ms_median: float
    emit_cpu_ms_median: float


def summarise(samples: Sequence[Sample]) -> Summary:
    last = sorted(s.last_ms for s in samples)
    median_last = statistics.median(last)
    return Summary(
        mode=samples[0].mode,
        viewers=samples[0].viewers,
        samples=len(samples),
        last_ms_median=round(median_last, 1),
        last_ms_p99=round(percentile(last, 0.99), 1),
        last_ms_max=round(last[-1], 1),
        p50_ms_median=round(statistics.median(s.p50_ms for s in samples), 1),
        p99_ms_median=round(statistics.median(s.p99_ms for s in samples), 1),
        deliveries_per_s_median=round(samples[0].viewers / (median_last / 1000)),
        emit_returned_ms_median=round(statistics.median(s.emit_returned_ms for s in samples), 1),
        emit_cpu_ms_median=round(statistics.median(s.emit_cpu_ms for s in samples), 1),
    )


class BenchServer:
    """The server child process, on a free port of 127.0.0.1."""

    def __init__(
        self, loop: str = "asyncio", redis_url: str | None = None, channel: str = ""
    ) -> None:
        self.loop = loop
        self.redis = ["--redis", redis_url, "--channel", channel] if redis_url else []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> BenchServer:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", str(self.port), "--loop", self.loop, *self.redis
        )
        loop = asyncio.get_running_loop()
        give_up = loop.time() + _START_TIMEOUT_S
        async with aiohttp.ClientSession() as http:
            while loop.time() < give_up:
                if self.process.returncode is not None:
                    raise RuntimeError(f"bench server exited with {self.process.returncode}")
                try:
                    async with http.get(f"{self.url}/bench/health") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("bench server did not answer in time")

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def measure(
    server: BenchServer,
    http: aiohttp.ClientSession,
    mode: str,
    viewers: int,
    run_index: int,
    args: Any,
) -> list[Sample]:
    events = tuple(f"readout-{index}" for index in range(args.broadcasts))
    spec = AudienceSpec(
        server.port,
        MODES[mode],
        viewers,
        {"room": ROOM},
        args.viewers_per_worker,
        args.deflate,
        *([AIOHTTP_PATH] if mode == "aiohttp" else []),
    )
    sent: dict[str, tuple[int, int, int]] = {}
    async with Audience(spec) as audience:
        for seq, event in enumerate(events, start=1):
            await asyncio.sleep(_PAUSE_S)
            order = {
                "mode": mode,
                "event": event,
                "seq": seq,
                "payload": args.payload,
                "bidders": args.bidders,
            }
            async with http.post(f"{server.url}/bench/broadcast", json=order) as response:
                answer = await response.json()
            sent[event] = (answer["sent_ns"], answer["returned_ns"], answer["cpu_ns"])
            # Proof of the path taken: the fan-out writes to (nearly) every viewer, emit to
            # none. A viewer whose writer is still busy with the previous broadcast takes
            # engine.io's queue instead (a handful of 5,000 under uvloop, whose transports
            # pause writing at other thresholds).
            direct = answer["written_directly"]
            if mode == "fanout":
                assert direct >= viewers * 0.99, (mode, answer)
            elif mode == "aiohttp":
                assert direct == viewers, (mode, answer)
            else:
                assert direct == 0, (mode, answer)
            await audience.saw(event)
        seen = {event: await audience.arrivals(event) for event in events}
    samples = []
    for event, (sent_ns, returned_ns, cpu_ns) in sent.items():
        spread = Spread.after(sent_ns, seen[event].arrivals_ns)
        assert spread is not None and spread.count == viewers, (event, spread)
        frames = seen[event].frames
        assert len(frames) == 1, f"viewers got different frames for {event}: {frames}"
        samples.append(
            Sample(
                mode=mode,
                viewers=viewers,
                run=run_index,
                last_ms=spread.max_ms,
                p50_ms=spread.p50_ms,
                p99_ms=spread.p99_ms,
                emit_returned_ms=round((returned_ns - sent_ns) / 1e6, 1),
                emit_cpu_ms=round(cpu_ns / 1e6, 2),
            )
        )
    return samples


def same_run_ratios(
    samples: Sequence[Sample], above: str, below: str, args: Any, figure: str = "last_ms"
) -> dict[str, dict[str, Any]]:
    """Per audience size: the ratio of the two paths' medians of `figure` in each run (the
    paths of one run met the same machine load), and the median of those ratios."""
    figures: dict[str, dict[str, Any]] = {}
    for viewers in args.viewers:
        per_run = [
            round(
                _run_median(samples, figure, above, viewers, run_index)
                / _run_median(samples, figure, below, viewers, run_index),
                3,
            )
            for run_index in range(args.runs)
        ]
        figures[str(viewers)] = {"per_run": per_run, "median": statistics.median(per_run)}
    return figures


def _run_median(
    samples: Sequence[Sample], figure: str, mode: str, viewers: int, run_index: int
) -> float:
    return statistics.median(
        getattr(s, figure)
        for s in samples
        if s.mode == mode and s.viewers == viewers and s.run == run_index
    )


async def run(args: Any) -> dict[str, Any]:
    raise_open_files(65_536)
    # The machine may be shared: the load before and after says how quiet the run was.
    load_before = round(os.getloadavg()[0], 2)
    samples: list[Sample] = []
    started = time.monotonic()
    async with BenchServer(args.loop) as server, aiohttp.ClientSession() as http:
        for run_index in range(args.runs):
            for viewers in args.viewers:
                # Rotate which path goes first, so none always meets a warmer server.
                turn = run_index % len(args.modes)
                for mode in args.modes[turn:] + args.modes[:turn]:
                    cell = await measure(server, http, mode, viewers, run_index, args)
                    samples.extend(cell)
                    print(
                        f"run {run_index + 1}/{args.runs} {mode:6} {viewers:5} viewers: "
                        f"last {[s.last_ms for s in cell]} ms",
                        file=sys.stderr,
                        flush=True,
                    )
        assert server.process is not None
        server_peak_kib = process_peak_kib(server.process.pid)
    summaries = [
        summarise([s for s in samples if s.mode == mode and s.viewers == viewers])
        for viewers in args.viewers
        for mode in args.modes
    ]
    ratios = {
        f"{above}_over_{below}": same_run_ratios(samples, above, below, args)
        for above, below in (("emit", "fanout"), ("fanout", "aiohttp"), ("emit", "aiohttp"))
        if above in args.modes and below in args.modes
    }
    cpu_ratios = (
        {"fanout_over_aiohttp": same_run_ratios(samples, "fanout", "aiohttp", args, "emit_cpu_ms")}
        if {"fanout", "aiohttp"} <= set(args.modes)
        else {}
    )
    return {
        "benchmark": "public broadcast to one room, server and viewers on 127.0.0.1",
        "settings": {
            "viewers": args.viewers,
            "runs": args.runs,
            "broadcasts_per_crowd": args.broadcasts,
            "payload": args.payload,
            "deflate": args.deflate,
            "server_loop": args.loop,
            "bidders": args.bidders if args.payload == "readout" else None,
            "payload_bytes": len(
                json.dumps(readout_payload(args.payload, args.bidders), separators=(",", ":"))
            ),
        },
        "modes": args.modes,
        "results": [asdict(s) for s in summaries],
        "time_to_last_ratios": ratios,
        "server_cpu_in_emit_ratios": cpu_ratios,
        "server_peak_rss_mib": None if server_peak_kib is None else round(server_peak_kib / 1024),
        "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "wall_s": round(time.monotonic() - started, 1),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument(
        "--viewers",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[1000, 2000, 5000],
        help="comma-separated audience sizes (default 1000,2000,5000)",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--modes",
        type=lambda text: text.split(","),
        default=list(MODES),
        help="comma-separated paths to measure (default fanout,emit,aiohttp)",
    )
    parser.add_argument("--broadcasts", type=int, default=3, help="broadcasts per crowd")
    parser.add_argument("--payload", choices=["doorbell", "readout"], default="doorbell")
    parser.add_argument("--bidders", type=int, default=300, help="rows of a readout payload")
    parser.add_argument("--viewers-per-worker", type=int, default=2500)
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="viewers offer permessage-deflate as browsers do (both paths then compress)",
    )
    parser.add_argument(
        "--loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="the server's event loop (the hub's event_loop setting)",
    )
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--channel", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.modes or set(args.modes) - set(MODES):
        parser.error(f"--modes takes some of {','.join(MODES)}")
    if args.serve is not None:
        serve(args.serve, args.loop, args.redis, args.channel)
        return
    print(json.dumps(asyncio.run(run(args)), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
