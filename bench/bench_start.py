"""How fast `./scripts/start.sh` listens when nothing changed since the last start.

Usage: python bench/bench_start.py [--runs 3]

Runs the script once to make sure its install is current (not timed), then `--runs` times
more on one data folder, each time from the launch to the first answer of `GET /api/time`,
and stops it with SIGINT. The demo runs as it does for a newcomer. Prints JSON; figures are
in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def time_to_listen(data: Path, limit_s: float = 300.0) -> float:
    """Seconds from launching start.sh to the hub's first answer; the hub is stopped after."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIDOPEN_")}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "start.sh"), "--data-dir", str(data), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < limit_s:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/time", timeout=1):
                    return time.perf_counter() - started
            except (urllib.error.URLError, OSError):
                time.sleep(0.02)
        raise TimeoutError(f"start.sh did not listen within {limit_s} s")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bidopen-start-") as folder:
        data = Path(folder) / "data"
        first = time_to_listen(data)
        seconds = [time_to_listen(data) for _ in range(args.runs)]
    print(
        json.dumps(
            {
                "first_start_s": round(first, 2),
                "second_start_s": [round(s, 2) for s in seconds],
                "median_s": round(statistics.median(seconds), 2),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
