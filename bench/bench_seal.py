"""Seal and open throughput and peak memory of bidseal beside raw AES-256-GCM; prints JSON.

Usage: python bench/bench_seal.py [--size-mib 1024] [--chunk-size 1048576] [--dir /dev/shm]

Each operation runs in a fresh subprocess so that its peak RSS (ru_maxrss) is
its own. The raw figures run the same primitives over the same number of
bytes in chunks of the same size, from memory, so the ratios show what the
format (SHA-256 of every sealed chunk) and the file handling cost on top of
the cipher. "copy" reads and writes the same bytes with no crypto: the file
I/O floor.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bidseal import (
    BidContext,
    BidderKeys,
    SealedBidReader,
    open_file,
    seal_file,
    unwrap_data_key,
)

MIB = 1024 * 1024
CONTEXT = BidContext("BENCH-2026", "1", "bench bidder")
RAW = (
    "raw-aes-gcm-encrypt",
    "raw-aes-gcm-decrypt",
    "raw-sha256",
    "raw-aes-gcm-encrypt+sha256",
    "raw-sha256+aes-gcm-decrypt",
)
FORMAT = ("copy", "seal", "verify", "open")
OPERATIONS = RAW + FORMAT


def bench_keys() -> BidderKeys:
    def scalar(label: str) -> bytes:
        return b"\x00" + hashlib.sha256(label.encode()).digest()[1:]

    return BidderKeys.from_scalars(scalar("bench encryption"), scalar("bench signing"))


def run_raw(operation: str, size: int, chunk_size: int) -> None:
    cipher = AESGCM(os.urandom(32))
    plain = bytearray(os.urandom(chunk_size))
    sealed = bytearray(chunk_size + 16)
    aad, nonce = os.urandom(32), os.urandom(12)
    cipher.encrypt_into(nonce, plain, aad, sealed)
    encrypt = "encrypt" in operation
    decrypt = "decrypt" in operation
    sha256 = "sha256" in operation
    for _ in range(size // chunk_size):
        if encrypt:
            cipher.encrypt_into(nonce, plain, aad, sealed)
        if sha256:
            hashlib.sha256(sealed).digest()
        if decrypt:
            cipher.decrypt_into(nonce, sealed, aad, plain)


def run_format(operation: str, chunk_size: int, folder: Path) -> None:
    keys = bench_keys()
    document, sealed, opened = folder / "document", folder / "sealed", folder / "opened"
    if operation == "copy":
        # The file I/O floor: the same reads and writes as sealing, without any crypto.
        block = bytearray(chunk_size)
        with document.open("rb") as source, (folder / "copied").open("wb") as target:
            while count := source.readinto(block):
                target.write(memoryview(block)[:count])
            target.flush()
            os.fsync(target.fileno())
    elif operation == "seal":
        seal_file(
            document,
            sealed,
            keys=keys,
            context=CONTEXT,
            summary={"items": {"price": "1.00"}},
            chunk_size=chunk_size,
            overwrite=True,
        )
    elif operation == "verify":
        # What the hub does with an upload: structure and signature, no key.
        reader = SealedBidReader()
        block = bytearray(MIB)
        view = memoryview(block)
        with sealed.open("rb", buffering=0) as stream:
            while count := stream.readinto(block):
                reader.feed(view[:count])
        reader.finish()
    elif operation == "open":
        with sealed.open("rb") as stream:
            data_key = unwrap_data_key(stream, keys, CONTEXT)
        open_file(sealed, data_key, opened, overwrite=True)


def worker(operation: str, size: int, chunk_size: int, folder: Path) -> dict[str, float]:
    start = time.perf_counter()
    if operation in RAW:
        run_raw(operation, size, chunk_size)
    else:
        run_format(operation, chunk_size, folder)
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 4),
        "mb_per_s": round(size / seconds / 1e6, 1),
        # Linux reports ru_maxrss in KiB.
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_worker(operation: str, size: int, chunk_size: int, folder: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", operation, "--size-bytes", str(size)]
    command += ["--chunk-size", str(chunk_size), "--dir", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def write_document(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with path.open("wb") as out:
        for _ in range(size // MIB):
            out.write(block)
        out.write(block[: size % MIB])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--size-bytes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--chunk-size", type=int, default=MIB)
    parser.add_argument("--dir", default="/dev/shm", help="a RAM-backed folder")
    parser.add_argument("--repeat", type=int, default=3, help="runs per operation; best is kept")
    parser.add_argument("--worker", choices=OPERATIONS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.size_bytes if args.size_bytes is not None else args.size_mib * MIB
    if args.worker:
        print(json.dumps(worker(args.worker, size, args.chunk_size, Path(args.dir))))
        return 0

    load_before = [round(x, 2) for x in os.getloadavg()]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-seal-", dir=args.dir) as temp:
        folder = Path(temp)
        write_document(folder / "document", size)
        # Interleaved rounds, so that a burst of load elsewhere hits every operation alike.
        runs: dict[str, list[dict[str, float]]] = {op: [] for op in OPERATIONS}
        for _ in range(args.repeat):
            for operation in OPERATIONS:
                runs[operation].append(run_worker(operation, size, args.chunk_size, folder))
        for operation, measured in runs.items():
            best = dict(min(measured, key=lambda r: r["seconds"]))
            best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in measured)
            results[operation] = best
        same = (folder / "document").read_bytes() == (folder / "opened").read_bytes()

    def ratio(numerator: str, denominator: str) -> float:
        return round(results[numerator]["mb_per_s"] / results[denominator]["mb_per_s"], 3)

    report = {
        "size_bytes": size,
        "chunk_size": args.chunk_size,
        "folder": args.dir,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
        "ratios": {
            "seal/raw-aes-gcm-encrypt": ratio("seal", "raw-aes-gcm-encrypt"),
            "open/raw-aes-gcm-decrypt": ratio("open", "raw-aes-gcm-decrypt"),
            "seal/raw-aes-gcm-encrypt+sha256": ratio("seal", "raw-aes-gcm-encrypt+sha256"),
            "open/raw-sha256+aes-gcm-decrypt": ratio("open", "raw-sha256+aes-gcm-decrypt"),
            "seal/copy": ratio("seal", "copy"),
            "open/copy": ratio("open", "copy"),
            "copy/raw-aes-gcm-encrypt": ratio("copy", "raw-aes-gcm-encrypt"),
            "raw-aes-gcm-encrypt+sha256/raw-aes-gcm-encrypt": ratio(
                "raw-aes-gcm-encrypt+sha256", "raw-aes-gcm-encrypt"
            ),
        },
        "peak_rss_mib": max(r["peak_rss_mib"] for r in results.values()),
        "opened_equals_document": same,
        "goal": {"ratio_at_least": 0.6, "peak_rss_mib_below": 64},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
