"""Benchmark of the fan-out on two nodes against one: the same viewers, split between them.

Two server processes of bench_broadcast, each with the hub's client manager for several
nodes (`FanoutRedisManager`), share one Redis on 127.0.0.1 (a channel of their own).  One
node is the one that decides: the broadcast is emitted there, as the hub emits an event
on the node that committed it, and crosses Redis to the other.  Alternating in each run:

- one node: every viewer on node A (node B idle, subscribed);
- two nodes: half the viewers on A, half on B.

The viewers are bench/loadgen.py's, in worker processes of their own (one per 2,500).
Per broadcast: the time to the last viewer over both nodes, deliveries per second, and the
CPU time (the kernel's schedstat, in ns, over every thread) of each node and of the
viewers' processes, read just before the broadcast and once every viewer has it.  On a
machine with as many cores as nodes the viewers take the same cores as the nodes, so the
benchmark also gives deliveries per second of the busiest node's own CPU time: what the
nodes would deliver with the viewers on other machines.

A few viewers of a second session sit on node A only; its broadcasts must reach them and
be passed over by node B without being decoded (node B's `passed_over`).

    python bench/bench_nodes.py --viewers 5000 --runs 3 --broadcasts 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from bench_broadcast import ROOM, BenchServer
from bidopen.simulate.limits import raise_open_files
from bidopen.simulate.stats import Spread
from loadgen import Audience, AudienceSpec

NAMESPACE = "/public"
OTHER_ROOM = "other-session"
_PAUSE_S = 0.3


def cpu_ns(pids: Sequence[int]) -> int:
    """CPU time used so far by every thread of these processes (schedstat, ns)."""
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue  # a thread that ended meanwhile
    return total


async def stats(http: aiohttp.ClientSession, node: BenchServer) -> dict[str, Any]:
    async with http.get(f"{node.url}/bench/stats") as response:
        result: dict[str, Any] = await response.json()
        return result


async def broadcast(
    http: aiohttp.ClientSession, node: BenchServer, event: str, seq: int, room: str
) -> int:
    order = {
        "mode": "fanout",
        "event": event,
        "seq": seq,
        "payload": "doorbell",
        "bidders": 0,
        "room": room,
    }
    async with http.post(f"{node.url}/bench/broadcast", json=order) as response:
        sent_ns: int = (await response.json())["sent_ns"]
        return sent_ns


async def measure(
    http: aiohttp.ClientSession,
    nodes: list[BenchServer],
    layout: str,
    run_index: int,
    args: Any,
) -> list[dict[str, Any]]:
    """Seat the crowd as `layout` says, broadcast from node A, and read every figure."""
    node_a, node_b = nodes
    shares = (
        [(node_a, args.viewers)]
        if layout == "one"
        else [(node_a, args.viewers - args.viewers // 2), (node_b, args.viewers // 2)]
    )
    audiences = [
        Audience(
            AudienceSpec(
                node.port, NAMESPACE, count, {"room": ROOM}, args.viewers_per_worker, False
            )
        )
        for node, count in shares
    ]
    others = Audience(AudienceSpec(node_a.port, NAMESPACE, 10, {"room": OTHER_ROOM}))
    samples = []
    try:
        for audience in (*audiences, others):
            await audience.__aenter__()
        viewer_pids = [pid for audience in audiences for pid in audience.pids]
        node_pids = [node.process.pid for node in nodes if node.process is not None]
        before_b = await stats(http, node_b)
        events = []
        for index in range(args.broadcasts):
            await asyncio.sleep(_PAUSE_S)
            event = f"{layout}-{run_index}-{index}"
            hub_before = [cpu_ns([pid]) for pid in node_pids]
            viewers_before = cpu_ns(viewer_pids)
            sent_ns = await broadcast(http, node_a, event, index + 1, ROOM)
            for audience in audiences:
                await audience.saw(event)
            hub_cpu = [cpu_ns([pid]) - was for pid, was in zip(node_pids, hub_before, strict=True)]
            viewers_cpu = cpu_ns(viewer_pids) - viewers_before
            events.append((event, sent_ns, hub_cpu, viewers_cpu))
            # The other session's event: for node A's few viewers only.
            other = f"other-{layout}-{run_index}-{index}"
            await broadcast(http, node_a, other, index + 1, OTHER_ROOM)
            await others.saw(other)
        after_b = await stats(http, node_b)
        for event, sent_ns, hub_cpu, viewers_cpu in events:
            arrivals: list[int] = []
            frames: set[str] = set()
            for audience in audiences:
                seen = await audience.arrivals(event)
                arrivals += seen.arrivals_ns
                frames |= set(seen.frames)
            spread = Spread.after(sent_ns, tuple(arrivals))
            assert spread is not None and spread.count == args.viewers, (event, spread)
            assert len(frames) == 1, f"viewers got different frames for {event}: {frames}"
            samples.append(
                {
                    "layout": layout,
                    "run": run_index,
                    "last_ms": spread.max_ms,
                    "p50_ms": spread.p50_ms,
                    "node_cpu_ms": [round(ns / 1e6, 2) for ns in hub_cpu],
                    "viewers_cpu_ms": round(viewers_cpu / 1e6, 2),
                }
            )
        # Node B decodes nothing of the other session: each of its emits passed over.
        passed = after_b["passed_over"] - before_b["passed_over"]
        expected = args.broadcasts * (2 if layout == "one" else 1)
        assert passed == expected, (layout, passed, expected)
    finally:
        for audience in (*audiences, others):
            await audience.close()
    return samples


def summary(samples: list[dict[str, Any]], viewers: int) -> dict[str, Any]:
    last = statistics.median(s["last_ms"] for s in samples)
    busiest = statistics.median(max(s["node_cpu_ms"]) for s in samples)
    return {
        "broadcasts": len(samples),
        "last_ms_median": round(last, 1),
        "p50_ms_median": round(statistics.median(s["p50_ms"] for s in samples), 1),
        "deliveries_per_s": round(viewers / (last / 1000)),
        "node_cpu_ms_median": [
            round(statistics.median(s["node_cpu_ms"][i] for s in samples), 1) for i in range(2)
        ],
        "busiest_node_cpu_ms_median": round(busiest, 1),
        "deliveries_per_busiest_node_cpu_s": round(viewers / (busiest / 1000)),
        "viewers_cpu_ms_median": round(statistics.median(s["viewers_cpu_ms"] for s in samples), 1),
    }


async def run(args: Any) -> dict[str, Any]:
    raise_open_files(65_536)
    load_before = round(os.getloadavg()[0], 2)
    started = time.monotonic()
    channel = f"bidopen-bench-nodes-{uuid.uuid4()}"
    samples: list[dict[str, Any]] = []
    nodes = [BenchServer(redis_url=args.redis, channel=channel) for _ in range(2)]
    async with nodes[0], nodes[1], aiohttp.ClientSession() as http:
        for run_index in range(args.runs):
            layouts = ["one", "two"] if run_index % 2 == 0 else ["two", "one"]
            for layout in layouts:
                cell = await measure(http, nodes, layout, run_index, args)
                samples += cell
                print(
                    f"run {run_index + 1}/{args.runs} {layout} node(s): last "
                    f"{[s['last_ms'] for s in cell]} ms, node CPU "
                    f"{[s['node_cpu_ms'] for s in cell]} ms",
                    file=sys.stderr,
                    flush=True,
                )

    def ratio(run_index: int, figure: str) -> float:
        def median(layout: str) -> float:
            return statistics.median(
                s[figure] for s in samples if s["layout"] == layout and s["run"] == run_index
            )

        return round(median("one") / median("two"), 3)

    for s in samples:
        s["busiest_node_cpu_ms"] = max(s["node_cpu_ms"])
    per_run = [ratio(i, "last_ms") for i in range(args.runs)]
    per_run_cpu = [ratio(i, "busiest_node_cpu_ms") for i in range(args.runs)]
    return {
        "benchmark": "fan-out on two nodes (Redis on 127.0.0.1) against one, same viewers",
        "settings": {
            "viewers": args.viewers,
            "runs": args.runs,
            "broadcasts_per_crowd": args.broadcasts,
            "viewers_per_worker": args.viewers_per_worker,
        },
        "one_node": summary([s for s in samples if s["layout"] == "one"], args.viewers),
        "two_nodes": summary([s for s in samples if s["layout"] == "two"], args.viewers),
        "two_over_one_deliveries_per_s": {
            "per_run": per_run,
            "median": statistics.median(per_run),
        },
        "two_over_one_per_busiest_node_cpu": {
            "per_run": per_run_cpu,
            "median": statistics.median(per_run_cpu),
        },
        "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "wall_s": round(time.monotonic() - started, 1),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--broadcasts", type=int, default=5, help="broadcasts per crowd")
    parser.add_argument("--viewers-per-worker", type=int, default=2500)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    if not args.redis.startswith(("redis://127.0.0.1", "redis://localhost")):
        parser.error("the benchmark sends traffic to 127.0.0.1 only")
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
