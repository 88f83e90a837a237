"""Holding the deadline against load: login floods, the connection ceiling, the deadline rush.

One run measures, against real hub processes on 127.0.0.1:

1. Upload latency (median, p99) of a 200 KB bid alone, and during a flood of wrong host
   passwords: 24 connections from one address, from 24 addresses, and from a new address
   for every guess (a botnet, through a trusted proxy).
2. The connection ceiling: a hub limited to 1024 descriptors, filled with bare Engine.IO
   websockets until it refuses them; then bidders upload.
3. The deadline rush: 100 bids of 20 MB starting in the last 60 s, 10 s and 2 s before a
   deadline, and 300 bids of 2 MB in the last 5 s. For each: accepted, refused, refused
   although the last byte was sent in time (goal 0), intake MB/s, the hub's CPU, the bids
   the deadline tick counted, and how long another tender's host commands took meanwhile.

"Sent in time" is the client's view: its last byte had left the process (the transport's
buffer was empty) before the deadline, by the same machine clock the hub uses.

    python bench/bench_deadline_rush.py [--database-url postgresql+asyncpg://...] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bidopen.simulate.server_process import free_port
from bidseal import BidContext, BidderKeys, generate_keys, seal, sign_challenge

HOST_USER, HOST_PASSWORD = "bench-host", "bench-host-password"
CHUNK = 256 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- the hub -----------------------------------------------------------------------------


@dataclass
class Hub:
    data_dir: Path
    database_url: str
    nofile: tuple[int, int] | None = None
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIDOPEN_")}
        env.update(
            BIDOPEN_DATA_DIR=str(self.data_dir),
            BIDOPEN_PORT=str(self.port),
            BIDOPEN_BOOTSTRAP_HOST=f"{HOST_USER}:{HOST_PASSWORD}",
            BIDOPEN_TRUSTED_PROXIES="127.0.0.1/32",
            BIDOPEN_LOG_LEVEL="WARNING",
        )
        if self.database_url:
            env["BIDOPEN_DATABASE_URL"] = self.database_url
        nofile = self.nofile

        def limit() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "hub.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bidopen.app", env=env, stdout=log, stderr=log, preexec_fn=limit
        )
        log.close()
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"{self.url}/api/server-key") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        raise RuntimeError("the hub did not start")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    def cpu_seconds(self) -> float:
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK


# -- clients -----------------------------------------------------------------------------


@dataclass
class Bidder:
    id: str
    keys: BidderKeys
    token: str = ""


class Client:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.host_token = ""

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.http.request(method, path, **kwargs) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text[:1] in "{[" else text)

    async def login_host(self) -> None:
        _, body = await self.call(
            "POST", "/api/host/login", json={"username": HOST_USER, "password": HOST_PASSWORD}
        )
        self.host_token = body["token"]

    @property
    def host_auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.host_token}"}

    async def tender(self, deadline: datetime, title: str) -> str:
        status, body = await self.call(
            "POST",
            "/api/tenders",
            headers=self.host_auth,
            json={
                "title": title,
                "lots": [{"id": "1", "name": "标段1"}],
                "deadline": iso(deadline),
            },
        )
        assert status == 201, body
        return str(body["id"])

    async def bidder(self, n: int) -> Bidder:
        keys = generate_keys()
        status, body = await self.call(
            "POST",
            "/api/bidders",
            json={
                "org_name": f"压测投标人{n}",
                "contact": "bench",
                "public_bundle": json.loads(keys.public.to_json()),
            },
        )
        assert status == 201, body
        bidder = Bidder(body["bidder_id"], keys)
        _, challenge = await self.call("POST", f"/api/bidders/{bidder.id}/challenge")
        signature = sign_challenge(keys, challenge["challenge"], challenge["audience"])
        _, token = await self.call(
            "POST",
            f"/api/bidders/{bidder.id}/login",
            json={"challenge": challenge["challenge"], "signature": signature},
        )
        bidder.token = token["token"]
        return bidder


def sealed(bidder: Bidder, tender: str, size: int) -> bytes:
    out = io.BytesIO()
    seal(
        io.BytesIO(os.urandom(size)),
        out,
        keys=bidder.keys,
        context=BidContext(tender, "1", bidder.id),
        summary={"items": {"price": "1000000.00", "duration_days": "90"}},
        chunk_size=1024 * 1024,
    )
    return out.getvalue()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values) * 1000:.1f} / {percentile(values, 0.99) * 1000:.1f}"


# -- 1. upload latency under a login flood -----------------------------------------------


async def _flood_lane(
    url: str, stop: Any, seen: Counter[int], source: str, botnet: int | None
) -> None:
    connector = aiohttp.TCPConnector(local_addr=(source, 0), limit=1)
    count = itertools.count()
    async with aiohttp.ClientSession(base_url=url, connector=connector) as http:
        while not stop.is_set():
            headers = {}
            if botnet:  # every guess names a new client to the trusted proxy
                n = next(count)
                headers["X-Forwarded-For"] = (
                    f"10.{hash(source) % 250}.{n // 250 % 250}.{n % 250 + 1}"
                )
            async with http.post(
                "/api/host/login",
                json={"username": HOST_USER, "password": "a wrong guess"},
                headers=headers,
            ) as response:
                await response.read()
                seen[response.status] += 1


def flood(url: str, kind: str, stop: Any, results: Any) -> None:
    """In its own process: 24 connections guessing host passwords until `stop` is set."""

    async def run() -> Counter[int]:
        seen: Counter[int] = Counter()
        sources = {
            "one": ["127.0.7.1"] * 24,
            "24": [f"127.0.8.{lane + 1}" for lane in range(24)],
            "botnet": ["127.0.0.1" for _ in range(24)],
        }[kind]
        await asyncio.gather(
            *(
                _flood_lane(
                    url, stop, seen, source if kind != "botnet" else "127.0.0.1", kind == "botnet"
                )
                for source in sources
            )
        )
        return seen

    seen = asyncio.run(run())
    results.put(dict(seen))


async def upload_latencies(
    client: Client, bidder: Bidder, tender: str, body: bytes, n: int
) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        status, answer = await client.call(
            "PUT",
            f"/api/tenders/{tender}/lots/1/bid",
            headers={"Authorization": f"Bearer {bidder.token}"},
            data=body,
        )
        assert status == 201, answer
        times.append(time.perf_counter() - started)
    return times


@contextlib.asynccontextmanager
async def one_bidder(hub: Hub, title: str) -> AsyncIterator[tuple[Client, Bidder, str, bytes]]:
    """A signed-in host and bidder, a tender open for an hour and a 200 KB sealed bid."""
    async with aiohttp.ClientSession(base_url=hub.url) as http:
        client = Client(http)
        await client.login_host()
        tender = await client.tender(datetime.now(UTC) + timedelta(hours=1), title)
        bidder = await client.bidder(0)
        yield client, bidder, tender, sealed(bidder, tender, 200_000)


async def latency_phase(hub: Hub, uploads: int) -> list[str]:
    rows = [
        "| condition | upload median / p99 (ms) | guesses/s | guess answers |",
        "|---|---:|---:|---|",
    ]
    async with one_bidder(hub, "登录洪水下的上传") as (client, bidder, tender, body):
        await upload_latencies(client, bidder, tender, body, 3)  # warm up
        alone = await upload_latencies(client, bidder, tender, body, uploads)
        rows.append(f"| alone | {ms(alone)} | - | - |")
        context = multiprocessing.get_context("spawn")
        floods = [
            ("24 connections from one address", "one"),
            ("24 connections from 24 addresses", "24"),
            ("24 connections, a new address per guess (via trusted proxy)", "botnet"),
        ]
        for name, kind in floods:
            stop, results = context.Event(), context.Queue()
            worker = context.Process(target=flood, args=(hub.url, kind, stop, results))
            worker.start()
            await asyncio.sleep(2.0)
            started = time.perf_counter()
            times = await upload_latencies(client, bidder, tender, body, uploads)
            elapsed = time.perf_counter() - started
            stop.set()
            seen = await asyncio.to_thread(results.get)
            worker.join()
            rate = sum(seen.values()) / (elapsed + 2.0)
            answers = ", ".join(f"{code}: {count}" for code, count in sorted(seen.items()))
            rows.append(f"| {name} | {ms(times)} | {rate:.0f} | {answers} |")
    return rows


# -- 2. the connection ceiling ------------------------------------------------------------

UPGRADE = (
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def ceiling_phase(hub: Hub, attempts: int, uploads: int) -> list[str]:
    writers, answers = [], Counter[str]()
    for n in range(attempts):
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", hub.port, local_addr=(f"127.0.9.{n % 200 + 1}", 0)
            )
            writer.write(UPGRADE.encode())
            line = (await asyncio.wait_for(reader.readline(), 10)).decode()
            answers[line.split(" ")[1] if " " in line else "closed"] += 1
            writers.append(writer)
        except (ConnectionError, TimeoutError):
            answers["closed"] += 1
    async with one_bidder(hub, "连接上限时的上传") as (client, bidder, tender, body):
        times = await upload_latencies(client, bidder, tender, body, uploads)
    for writer in writers:
        writer.close()
    held = answers.get("101", 0)
    refused = ", ".join(f"{k}: {v}" for k, v in sorted(answers.items()) if k != "101")
    return [
        "| websockets tried | held (101) | refused | uploads | upload median / p99 (ms) |",
        "|---:|---:|---|---:|---:|",
        f"| {attempts} | {held} | {refused} | {len(times)}/{uploads} accepted | {ms(times)} |",
    ]


# -- 3. the deadline rush ----------------------------------------------------------------


@dataclass
class Outcome:
    status: int = 0
    code: str | None = None
    started: float = 0.0
    sent_at: float | None = None
    answered: float = 0.0
    bytes_sent: int = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, str | None]:
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    status = int(status_line.split()[1]) if status_line else 0
    try:
        code = json.loads(body).get("error", {}).get("code") if body else None
    except ValueError:
        code = None
    return status, code


async def raw_upload(
    port: int, path: str, token: str, file: Path, size: int, start_at: float
) -> Outcome:
    """PUT the sealed file with sendfile(2): the client spends no CPU on copying it."""
    await asyncio.sleep(max(start_at - time.time(), 0))
    outcome = Outcome(started=time.time())
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        outcome.answered = time.time()
        return outcome
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\n"
        "Connection: close\r\n\r\n"
    )
    answer = asyncio.ensure_future(_read_response(reader))
    loop = asyncio.get_running_loop()
    try:
        writer.write(head.encode())
        await writer.drain()
        with file.open("rb") as body:
            sent = loop.create_task(loop.sendfile(writer.transport, body))
            await asyncio.wait([sent, answer], return_when=asyncio.FIRST_COMPLETED)
            if sent.done() and not sent.exception():
                outcome.bytes_sent = sent.result()
                outcome.sent_at = time.time()
            else:
                sent.cancel()
        outcome.status, outcome.code = await asyncio.wait_for(answer, 300)
    except (OSError, asyncio.IncompleteReadError, TimeoutError):
        if answer.done() and not answer.exception():
            outcome.status, outcome.code = answer.result()
    finally:
        answer.cancel()
        writer.close()
    outcome.answered = time.time()
    return outcome


def commands(url: str, token: str, tender: str, stop: Any, results: Any) -> None:
    """In its own process: another tender's host postpones it every 100 ms until `stop`."""

    async def run() -> list[float]:
        times: list[float] = []
        deadline = datetime.now(UTC) + timedelta(hours=2)
        async with aiohttp.ClientSession(base_url=url) as http:
            while not stop.is_set():
                deadline += timedelta(seconds=1)
                started = time.perf_counter()
                async with http.post(
                    f"/api/sessions/{tender}/host/reschedule",
                    headers={"Authorization": f"Bearer {token}"},
                    json={"deadline": iso(deadline), "reason": "压测：另一项目的主持人指令"},
                ) as response:
                    await response.read()
                    assert response.status == 200, response.status
                times.append(time.perf_counter() - started)
                await asyncio.sleep(0.1)
        return times

    results.put(asyncio.run(run()))


async def rush(
    hub: Hub, client: Client, bidders: list[Bidder], size: int, window: float, shm: str
) -> str:
    lead = 8.0 + len(bidders) * size / 400e6  # time to seal before the window opens
    deadline = datetime.now(UTC) + timedelta(seconds=lead + window)
    tender = await client.tender(deadline, f"截止前 {window:g} 秒的冲刺")
    other = await client.tender(datetime.now(UTC) + timedelta(hours=1), "同时进行的另一项目")
    files = []
    for n, bidder in enumerate(bidders):
        path = Path(shm) / f"bid-{n}.sealed"
        path.write_bytes(sealed(bidder, tender, size))
        files.append(path)
    end = deadline.timestamp()
    starts = [end - window + window * i / len(bidders) for i in range(len(bidders))]
    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    worker = context.Process(
        target=commands, args=(hub.url, client.host_token, other, stop, results)
    )
    worker.start()
    cpu_before, wall_before = hub.cpu_seconds(), time.time()
    path = f"/api/tenders/{tender}/lots/1/bid"
    outcomes = await asyncio.gather(
        *(
            raw_upload(hub.port, path, b.token, file, file.stat().st_size, at)
            for b, file, at in zip(bidders, files, starts, strict=True)
        )
    )
    cpu = (hub.cpu_seconds() - cpu_before) / (time.time() - wall_before)
    stop.set()
    command_times = await asyncio.to_thread(results.get)
    worker.join()
    for file in files:
        file.unlink()
    accepted = [o for o in outcomes if o.status == 201]
    refused = [o for o in outcomes if o.status != 201]
    in_time = [o for o in refused if o.sent_at is not None and o.sent_at < end]
    first = min(o.started for o in outcomes)
    last = max(o.sent_at or o.answered for o in outcomes)
    intake = sum(o.bytes_sent for o in outcomes) / (last - first) / 1e6
    codes = Counter(o.code or str(o.status) for o in refused)
    for _ in range(120):
        _, snap = await client.call("GET", f"/api/sessions/{tender}", headers=client.host_auth)
        if snap["view"]["phase"] != "scheduled":
            break
        await asyncio.sleep(0.5)
    counted = len(snap["view"].get("bids", []))
    late_sent = sum(1 for o in outcomes if o.sent_at is None or o.sent_at >= end)
    return (
        f"| {len(bidders)} × {size // 1_000_000} MB in the last {window:g} s | {len(accepted)} | "
        f"{len(refused)} ({', '.join(f'{k}: {v}' for k, v in sorted(codes.items())) or '-'}) | "
        f"**{len(in_time)}** | {late_sent} | {counted} | {intake:.0f} | {cpu * 100:.0f}% | "
        f"{ms(command_times)} (max {max(command_times, default=0) * 1000:.0f}) |"
    )


async def rush_phase(hub: Hub, scenarios: list[tuple[int, int, float]]) -> list[str]:
    rows = [
        "| rush | accepted | refused (codes) | refused although sent in time | last byte sent "
        "late | counted at the tick | intake MB/s | hub CPU | other tender's command "
        "median / p99 ms |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    async with aiohttp.ClientSession(base_url=hub.url) as http:
        client = Client(http)
        await client.login_host()
        most = max(n for n, _, _ in scenarios)
        bidders = await asyncio.gather(*(client.bidder(n) for n in range(most)))
        for n, size, window in scenarios:
            with tempfile.TemporaryDirectory(dir="/dev/shm", prefix="bench-rush-") as shm:
                rows.append(await rush(hub, client, list(bidders[:n]), size, window, shm))
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the script")
    parser.add_argument("--rush-only", type=int, help="run only this rush (0..3)")
    parser.add_argument("--work-dir", type=Path, help="keep the hubs' data and logs here")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    scenarios = [
        (100, 20_000_000 // scale, 60.0 / scale),
        (100, 20_000_000 // scale, 10.0),
        (100, 20_000_000 // scale, 2.0),
        (300, 2_000_000 // scale, 5.0),
    ]
    if args.rush_only is not None:
        scenarios = [scenarios[args.rush_only]]
    with tempfile.TemporaryDirectory(prefix="bench-rush-") as scratch:
        tmp = args.work_dir or scratch
        print(
            f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"database {'PostgreSQL' if args.database_url else 'SQLite'}\n"
        )
        phases: list[tuple[str, tuple[int, int] | None, Callable[[Hub], Awaitable[list[str]]]]] = [
            ("latency", None, lambda hub: latency_phase(hub, 20 if args.quick else 60)),
            ("ceiling", (1024, 1024), lambda hub: ceiling_phase(hub, 400, 20)),
            ("rush", None, lambda hub: rush_phase(hub, scenarios)),
        ]
        for name, nofile, phase in phases:
            if args.rush_only is not None and name != "rush":
                continue
            hub = Hub(Path(tmp) / name, args.database_url, nofile=nofile)
            await hub.start()
            try:
                print("\n".join(await phase(hub)), "\n", flush=True)
            finally:
                await hub.stop()


if __name__ == "__main__":
    asyncio.run(main())
