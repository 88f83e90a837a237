"""Seal and open throughput and peak memory of bidseal beside raw AES-256-GCM; prints JSON.

Usage: python bench/bench_seal.py [--size-mib 1024] [--chunk-size 1048576] [--dir /dev/shm]

Each operation runs in a fresh subprocess so that its peak RSS (ru_maxrss) is
its own. The raw figures run the same primitive over the same number of bytes
in chunks of the same size, from memory, so the ratios show what the format
and the file handling cost on top of the cipher.
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

MIB = 1024 * 1024
CONTEXT = ("BENCH-2026", "1", "bench bidder")
OPERATIONS = (
    "raw-aes-gcm-encrypt",
    "raw-aes-gcm-decrypt",
    "raw-sha256",
    "raw-aes-gcm-encrypt+sha256",
    "seal",
    "verify",
    "open",
)


def _bench_keys():  # type: ignore[no-untyped-def]
    from bidseal import BidderKeys

    def scalar(label: str) -> bytes:
        return b"\x00" + hashlib.sha256(label.encode()).digest()[1:]

    return BidderKeys.from_scalars(scalar("bench encryption"), scalar("bench signing"))


def _raw(operation: str, size: int, chunk_size: int) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cipher = AESGCM(os.urandom(32))
    plain = bytearray(os.urandom(chunk_size))
    sealed = bytearray(chunk_size + 16)
    aad = os.urandom(32)
    nonce = os.urandom(12)
    cipher.encrypt_into(nonce, plain, aad, sealed)
    for _ in range(size // chunk_size):
        if operation == "raw-aes-gcm-encrypt":
            cipher.encrypt_into(nonce, plain, aad, sealed)
        elif operation == "raw-aes-gcm-decrypt":
            cipher.decrypt_into(nonce, sealed, aad, plain)
        elif operation == "raw-sha256":
            hashlib.sha256(sealed).digest()
        else:
            cipher.encrypt_into(nonce, plain, aad, sealed)
            hashlib.sha256(sealed).digest()


def _worker(operation: str, size: int, chunk_size: int, folder: Path) -> dict[str, object]:
    from bidseal import BidContext, SealedBidReader, open_file, seal_file, unwrap_data_key

    keys = _bench_keys()
    context = BidContext(*CONTEXT)
    document, sealed, opened = folder / "document", folder / "sealed", folder / "opened"
    start = time.perf_counter()
    if operation.startswith("raw-"):
        _raw(operation, size, chunk_size)
    elif operation == "seal":
        seal_file(
            document,
            sealed,
            keys=keys,
            context=context,
            summary={"items": {"price": "1.00"}},
            chunk_size=chunk_size,
            overwrite=True,
        )
    elif operation == "verify":
        reader = SealedBidReader()
        block = bytearray(MIB)
        view = memoryview(block)
        with sealed.open("rb", buffering=0) as stream:
            while count := stream.readinto(block):
                reader.feed(view[:count])
        reader.finish()
    elif operation == "open":
        with sealed.open("rb") as stream:
            data_key = unwrap_data_key(stream, keys, context)
        open_file(sealed, data_key, opened, overwrite=True)
    seconds = time.perf_counter() - start
    return {
        "operation": operation,
        "seconds": round(seconds, 4),
        "mb_per_s": round(size / seconds / 1e6, 1),
        # Linux reports ru_maxrss in KiB.
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _run_worker(operation: str, size: int, chunk_size: int, folder: Path) -> dict[str, object]:
    command = [sys.executable, __file__, "--worker", operation, "--size-bytes", str(size)]
    command += ["--chunk-size", str(chunk_size), "--dir", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert isinstance(result, dict)
    return result


def _write_document(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with path.open("wb") as out:
        for _ in range(size // MIB):
            out.write(block)
        out.write(block[: size % MIB])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--size-bytes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--chunk-size", type=int, default=MIB)
    parser.add_argument("--dir", default="/dev/shm", help="a RAM-backed folder")
    parser.add_argument("--repeat", type=int, default=3, help="runs per operation; best is kept")
    parser.add_argument("--worker", choices=OPERATIONS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.size_bytes if args.size_bytes is not None else args.size_mib * MIB
    if args.worker:
        print(json.dumps(_worker(args.worker, size, args.chunk_size, Path(args.dir))))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-seal-", dir=args.dir) as temp:
        folder = Path(temp)
        _write_document(folder / "document", size)
        results: dict[str, dict[str, object]] = {}
        for operation in OPERATIONS:
            runs = [
                _run_worker(operation, size, args.chunk_size, folder) for _ in range(args.repeat)
            ]
            best = min(runs, key=lambda r: float(str(r["seconds"])))
            best["peak_rss_mib"] = max(float(str(r["peak_rss_mib"])) for r in runs)
            results[operation] = best
        same = (folder / "document").read_bytes() == (folder / "opened").read_bytes()

    def speed(name: str) -> float:
        return float(str(results[name]["mb_per_s"]))

    report = {
        "size_bytes": size,
        "chunk_size": args.chunk_size,
        "folder": args.dir,
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "results": results,
        "ratios": {
            "seal_vs_raw_aes_gcm_encrypt": round(speed("seal") / speed("raw-aes-gcm-encrypt"), 3),
            "open_vs_raw_aes_gcm_decrypt": round(speed("open") / speed("raw-aes-gcm-decrypt"), 3),
            "seal_vs_raw_aes_gcm_encrypt+sha256": round(
                speed("seal") / speed("raw-aes-gcm-encrypt+sha256"), 3
            ),
            "sha256_share_of_raw_encrypt+sha256": round(
                1 - speed("raw-aes-gcm-encrypt+sha256") / speed("raw-aes-gcm-encrypt"), 3
            ),
        },
        "opened_equals_document": same,
        "goal": {"ratio_at_least": 0.6, "peak_rss_mib_below": 64},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
