"""The public log's speed: appends per second, a 300-bid deadline batch, proofs at 1M leaves.

Usage: python bench/bench_tlog.py [--database-url URL] [--seconds 10] [--leaves 1000000]

A PostgreSQL URL must name a database of its own (`createdb bench_tlog`): the benchmark
creates the hub's tables in it.

Prints JSON. With no URL it uses a fresh SQLite file (WAL, synchronous=FULL, as the hub).
- appends: writers appending for `--seconds`, each append in its own transaction (as a
  session event's entry is) or 100 entries per transaction, while the sequencer
  signs a checkpoint every second; the largest gap between two checkpoints is reported.
- deadline_batch: 300 bid entries and the deadline event in one transaction, then the
  checkpoint signed: the time from the start of the append to the signed checkpoint.
- proofs: the log grown to `--leaves` entries; size and time of an inclusion proof, a
  tlog-proof and a consistency proof from half the size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bidopen.clock import SystemClock
from bidopen.service.publiclog import PublicLog
from bidopen.store.db import Database
from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.note import Ed25519Signer, SignedNote
from bidseal.ed25519 import Ed25519Key

ORIGIN = "bench.example/log"
ENTRY = b'{"format":"bidopen-log-entry/1","type":"event","kind":"bidder_signed_in"}' + b" " * 180


async def _size(log: PublicLog) -> int:
    note = await log.checkpoint()
    assert note is not None
    return Checkpoint.parse(SignedNote.parse(note).text).size


async def bench_appends(
    db: Database, signer: Ed25519Signer, seconds: float, writers: int, batch: int
) -> dict[str, Any]:
    """Writers append while the log's own sequencer (interval 1 s) signs checkpoints."""
    log = PublicLog(db, SystemClock(), signer, checkpoint_interval=1.0)
    await log.start()
    start_size = await _size(log)
    stop = time.monotonic() + seconds
    appended: list[tuple[float, int]] = []  # (when it committed, its last index)
    signed: list[tuple[float, int]] = []  # (when a checkpoint of this size was first seen)

    async def writer() -> None:
        while time.monotonic() < stop:
            first = await log.append([ENTRY] * batch)
            appended.append((time.monotonic(), first + batch - 1))

    async def watcher() -> None:
        while time.monotonic() < stop + 2:
            size = await _size(log)
            if not signed or size > signed[-1][1]:
                signed.append((time.monotonic(), size))
            await asyncio.sleep(0.01)

    started = time.monotonic()
    await asyncio.gather(watcher(), *(writer() for _ in range(writers)))
    await log.stop()
    elapsed = min(time.monotonic() - started, seconds)
    latencies = []
    for at, index in appended:
        covering = next((t for t, size in signed if size > index), None)
        latencies.append((covering - at) if covering is not None else float("inf"))
    latencies.sort()
    done = len(appended) * batch
    return {
        "writers": writers,
        "entries_per_transaction": batch,
        "appends": done,
        "appends_per_second": round(done / elapsed, 1),
        "checkpoints": sum(1 for _t, size in signed if size > start_size),
        "append_to_checkpoint_p50_s": round(latencies[len(latencies) // 2], 3),
        "append_to_checkpoint_max_s": round(latencies[-1], 3),
    }


async def bench_deadline_batch(log: PublicLog, runs: int = 5) -> dict[str, Any]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await log.append([ENTRY] * 301)
        await log.sign_checkpoint()
        times.append(time.perf_counter() - start)
    return {"entries": 301, "runs": runs, "median_ms": round(statistics.median(times) * 1000, 1)}


async def bench_proofs(log: PublicLog, leaves: int) -> dict[str, Any]:
    size = await _size(log)
    grow_start = time.perf_counter()
    while size < leaves:
        await log.append([ENTRY] * min(10_000, leaves - size))
        size = min(leaves, size + 10_000)
    await log.sign_checkpoint()
    grow = time.perf_counter() - grow_start
    size = await _size(log)
    index = size * 2 // 3
    start = time.perf_counter()
    proof = await log.proof(index)
    proof_ms = (time.perf_counter() - start) * 1000
    text = proof.format()
    start = time.perf_counter()
    consistency = await log.consistency_proof(size // 2 + 1, size)
    consistency_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    proof.verify(ENTRY, log.policy)
    verify_ms = (time.perf_counter() - start) * 1000
    return {
        "leaves": size,
        "grow_seconds": round(grow, 1),
        "inclusion_hashes": len(proof.hashes),
        "tlog_proof_bytes": len(text),
        "tlog_proof_ms": round(proof_ms, 2),
        "tlog_proof_verify_ms": round(verify_ms, 2),
        "consistency_hashes": len(consistency),
        "consistency_proof_ms": round(consistency_ms, 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        db = Database(url)
        await db.create_schema()
        signer = Ed25519Signer(ORIGIN, Ed25519Key.generate())
        report: dict[str, Any] = {
            "database": "sqlite" if db.is_sqlite else "postgresql",
            "python": platform.python_version(),
            "appends_one_per_transaction": await bench_appends(db, signer, args.seconds, 8, 1),
            "appends_100_per_transaction": await bench_appends(db, signer, args.seconds, 4, 100),
        }
        log = PublicLog(db, SystemClock(), signer, checkpoint_interval=3600)
        await log.start()
        try:
            report["deadline_batch"] = await bench_deadline_batch(log)
            report["proofs"] = await bench_proofs(log, args.leaves)
        finally:
            await log.stop()
            await db.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
