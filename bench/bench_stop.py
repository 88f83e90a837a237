"""How fast a hub stops with clients connected: SIGTERM to exit, and to each client's notice.

Usage: python bench/bench_stop.py [--sockets 20] [--runs 3] [--signal TERM|INT]

Each run starts a hub (`python -m bidopen.app`, SQLite in a temporary folder), connects
`--sockets` Socket.IO clients to the public namespace over WebSocket as the pages do, sends
the signal and measures the time until the process has exited and until the last client
learnt that its connection closed. Prints JSON; figures are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hubprocess import HubProcess


async def _tender(base_url: str, hub: HubProcess) -> str:
    async with aiohttp.ClientSession(base_url=base_url) as http:
        login = {"username": hub.host_user, "password": hub.host_password}
        async with http.post("/api/host/login", json=login) as response:
            token = (await response.json())["token"]
        deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        body = {"title": "停止测试 stop bench", "lots": [{"id": "1", "name": "标段一"}]}
        async with http.post(
            "/api/tenders",
            json={**body, "deadline": deadline},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            return str((await response.json())["id"])


async def one_run(sockets: int, signum: signal.Signals) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bidopen-stop-") as folder:
        data = Path(folder) / "data"
        data.mkdir()
        hub = HubProcess(data, f"sqlite+aiosqlite:///{data / 'bidopen.db'}", Path(folder) / "log")
        hub.extra_env = {"BIDOPEN_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING")}
        hub.start()
        tid = await _tender(hub.base_url, hub)
        noticed: list[float] = []
        clients = []
        for _ in range(sockets):
            client = socketio.AsyncClient(reconnection=False)
            client.on("disconnect", lambda *_: noticed.append(time.monotonic()), "/public")
            await client.connect(
                hub.base_url,
                namespaces=["/public"],
                auth={"session_id": tid},
                transports=["websocket"],
            )
            clients.append(client)
        assert hub.process is not None
        sent = time.monotonic()
        hub.process.send_signal(signum)
        code = await asyncio.to_thread(hub.process.wait, 120)
        exited = time.monotonic()
        for _ in range(100):
            if len(noticed) == sockets:
                break
            await asyncio.sleep(0.05)
        for client in clients:
            await client.shutdown()
        if os.environ.get("BENCH_LOG_LEVEL"):
            print(hub.log_text()[-3000:], file=sys.stderr)
        if code != 0:
            raise RuntimeError(f"hub exited with {code}: {hub.log_text()[-2000:]}")
        return {
            "exit_s": round(exited - sent, 3),
            "last_client_noticed_s": round(max(noticed) - sent, 3) if noticed else -1.0,
            "clients_noticed": len(noticed),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--signal", choices=("TERM", "INT"), default="TERM")
    args = parser.parse_args()
    signum = signal.Signals[f"SIG{args.signal}"]
    runs = [asyncio.run(one_run(args.sockets, signum)) for _ in range(args.runs)]
    exits = [run["exit_s"] for run in runs]
    print(
        json.dumps(
            {
                "sockets": args.sockets,
                "signal": args.signal,
                "runs": runs,
                "exit_s_median": statistics.median(exits),
                "exit_s_max": max(exits),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "command": " ".join([Path(sys.executable).name, *sys.argv]),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
