"""The `bidopen` command as a person runs it: start-up time, and peak memory of seal and open.

Usage: python bench/bench_cli.py [--runs 10] [--size-mib 1024] [--dir /dev/shm]

Every figure is of a whole `bidopen` process (the console script this environment
installed), measured from outside: wall time from spawn to exit, and peak resident memory
(ru_maxrss of that child alone, from wait4). `--help` runs `--runs` times; seal and open
run once each on a document of `--size-mib` random bytes. Prints JSON; the figures are in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024
BIDOPEN = Path(sys.executable).with_name("bidopen")


def run(*args: str, cwd: Path) -> tuple[float, float]:
    """Seconds from spawn to exit and peak RSS in MiB of one `bidopen` process."""
    started = time.perf_counter()
    child = subprocess.Popen([str(BIDOPEN), *args], cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"bidopen {' '.join(args)} exited with {child.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def write_random(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with path.open("wb") as out:
        for _ in range(size // MIB):
            out.write(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: tmp)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bidopen-cli-", dir=args.dir) as scratch:
        folder = Path(scratch)
        helps = [run("--help", cwd=folder) for _ in range(args.runs)]
        (folder / "pass.txt").write_text("bench passphrase\n", encoding="utf-8")
        (folder / "summary.json").write_text('{"items": {"price": "1.00"}}', encoding="utf-8")
        common = ("--key-dir", "keys", "--passphrase-file", "pass.txt")
        run("keygen", "--out", "keys", "--passphrase-file", "pass.txt", cwd=folder)
        write_random(folder / "doc.bin", args.size_mib * MIB)
        seal = run(
            *("seal", "doc.bin", "--context", "BENCH-2026/1/BD1", "--summary", "summary.json"),
            *("--out", "doc.sealed", *common),
            cwd=folder,
        )
        (folder / "doc.bin").unlink()
        opened = run("open", "doc.sealed", "--out", "doc.out", *common, cwd=folder)

    times = [seconds for seconds, _ in helps]
    report = {
        "help": {
            "runs": len(helps),
            "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3),
            "peak_rss_mib": round(max(rss for _, rss in helps), 1),
        },
        "seal": {
            "size_mib": args.size_mib,
            "s": round(seal[0], 2),
            "peak_rss_mib": round(seal[1], 1),
        },
        "open": {
            "size_mib": args.size_mib,
            "s": round(opened[0], 2),
            "peak_rss_mib": round(opened[1], 1),
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "command": " ".join(["python", *sys.argv]),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
