"""The server's CPU time of one broadcast pass: the fan-out against a bare loop of writes.

One server process (bench_broadcast's app) seats one crowd of viewers in `/public`; then,
over the same sockets and in rotating order, it runs each pass in turn and reads
`time.thread_time` around it:

- `plain`: one `transport.write` of one pre-encoded frame per viewer, no checks, no yields
  (bench_broadcast's plain aiohttp path, here over the fan-out's own transports);
- `fanout`: `RoomFanout.broadcast` of the same event;
- `emit`: `sio.emit(..., to=room)` through `FanoutManager`, as the hub sends it.

Every viewer must get every event; the pass of each order waits for that before the next.
Same sockets, same process, one pass right after the other: the ratio is steadier than
bench_broadcast's, whose paths each have their own crowd.

    cd bench && python bench_fanout_pass.py --viewers 5000 --rounds 16
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
from typing import Any

import aiohttp
from aiohttp import web

from bench_broadcast import ROOM, SOCKETIO, create_bench_app, readout_payload
from bidopen.realtime.fanout import FanoutManager
from bidopen.realtime.frames import encode_event_message, encode_text_frame
from bidopen.simulate.limits import raise_open_files
from bidopen.simulate.server_process import free_port
from loadgen import Audience, AudienceSpec

NAMESPACE = "/public"
PASSES = ("plain", "fanout", "emit")
# Quiet time before each pass, so that the viewers have read the previous one.
_PAUSE_S = 0.25


def serve(port: int) -> None:
    raise_open_files(65_536)
    app = create_bench_app()
    sio = app[SOCKETIO]
    manager = sio.manager
    assert isinstance(manager, FanoutManager)

    async def run_pass(request: web.Request) -> web.Response:
        order = await request.json()
        message = {"seq": order["seq"], **readout_payload("doorbell", 0)}
        event = order["event"]
        before = manager.fanout.totals.direct
        cpu_ns = time.thread_time_ns()
        if order["pass"] == "plain":
            frame = encode_text_frame(encode_event_message(NAMESPACE, event, message))
            for viewer in list(manager.fanout._viewers.values()):
                viewer.transport.write(frame)
        elif order["pass"] == "fanout":
            await manager.fanout.broadcast(NAMESPACE, ROOM, event, message)
        else:
            await sio.emit(event, message, to=ROOM, namespace=NAMESPACE)
        cpu_ns = time.thread_time_ns() - cpu_ns
        direct = manager.fanout.totals.direct - before
        return web.json_response({"cpu_ns": cpu_ns, "written_directly": direct})

    app.router.add_post("/bench/pass", run_pass)
    web.run_app(app, host="127.0.0.1", port=port, print=None, backlog=4096)


async def run(args: Any) -> dict[str, Any]:
    raise_open_files(65_536)
    load_before = round(os.getloadavg()[0], 2)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve", str(port))
    cpu_ms: dict[str, list[float]] = {name: [] for name in args.passes}
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"{url}/bench/health") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            spec = AudienceSpec(port, NAMESPACE, args.viewers, {"room": ROOM})
            async with Audience(spec) as audience:
                seq = 0
                for round_index in range(args.rounds):
                    turn = round_index % len(args.passes)
                    for name in args.passes[turn:] + args.passes[:turn]:
                        seq += 1
                        await asyncio.sleep(_PAUSE_S)
                        order = {"pass": name, "event": f"pass-{seq}", "seq": seq}
                        async with http.post(f"{url}/bench/pass", json=order) as response:
                            answer = await response.json()
                        cpu_ms[name].append(answer["cpu_ns"] / 1e6)
                        await audience.saw(order["event"])
    finally:
        server.terminate()
        await server.wait()
    medians = {name: round(statistics.median(values), 2) for name, values in cpu_ms.items()}
    base = args.passes[0]
    return {
        "benchmark": "server CPU of one broadcast pass over the same seated viewers",
        "viewers": args.viewers,
        "rounds": args.rounds,
        "cpu_ms_median": medians,
        f"over_{base}": {name: round(medians[name] / medians[base], 3) for name in medians},
        "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=16, help="passes of each kind")
    parser.add_argument(
        "--passes",
        type=lambda text: text.split(","),
        default=list(PASSES),
        help="comma-separated, the first is the base of the ratios (default plain,fanout,emit)",
    )
    args = parser.parse_args(argv)
    if not args.passes or set(args.passes) - set(PASSES):
        parser.error(f"--passes takes some of {','.join(PASSES)}")
    if args.serve is not None:
        serve(args.serve)
        return
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
