"""`bidopen verify BUNDLE [--log VKEY] [--witness VKEY …] [--quorum K] [--server-key FILE]
[--receipts FILE] [--old CHECKPOINT]`: prints what it checked; exits 1 at the first failure."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bidopen.tlog.cosignature import cosignature_verifier
from bidopen.tlog.errors import LogError
from bidopen.verify.check import Trust, VerificationFailed, verify_bundle
from bidseal.codec import b64u_decode


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check an opening's bundle offline: signatures, log proofs, the record's replay",
        description=(
            "Check a bundle (GET /api/sessions/ID/bundle) with no server: the log's checkpoint "
            "and the witnesses' cosignatures, every inclusion proof, the deadline batch, the "
            "replay of every event through the session core, the signed record and results, "
            "and the receipts you kept."
        ),
    )
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--log", metavar="VKEY", help="the log's verifier key (published)")
    parser.add_argument(
        "--witness", action="append", default=[], metavar="VKEY", help="a trusted witness"
    )
    parser.add_argument("--quorum", type=int, default=0, help="witnesses that must cosign")
    parser.add_argument(
        "--server-key", type=Path, help="the hub's key (the JSON of GET /api/server-key)"
    )
    parser.add_argument(
        "--receipts", type=Path, help="your receipts (KEYDIR/receipts.jsonl, one per line)"
    )
    parser.add_argument(
        "--old",
        type=Path,
        metavar="CHECKPOINT",
        help="a checkpoint saved earlier, which the bundle (fetched with ?old=SIZE) must extend",
    )
    parser.set_defaults(func=run_verify)


def _receipts(path: Path | None) -> tuple[dict[str, Any], ...]:
    if path is None:
        return ()
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def run_verify(args: argparse.Namespace) -> int:
    try:
        bundle = json.loads(args.bundle.read_text(encoding="utf-8"))
        server_key = None
        if args.server_key is not None:
            server_key = b64u_decode(json.loads(args.server_key.read_text())["key"])
        trust = Trust(
            log_vkey=args.log,
            witnesses=tuple(cosignature_verifier(v) for v in args.witness),
            quorum=args.quorum,
            server_key=server_key,
            receipts=_receipts(args.receipts),
            old_checkpoint=None if args.old is None else args.old.read_bytes(),
        )
        report = verify_bundle(bundle, trust)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"FAILED: unreadable input: {exc}", file=sys.stderr)
        return 1
    except (VerificationFailed, LogError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    for line in report.lines:
        print(f"ok  {line}")
    for warning in report.warnings:
        print(f"note {warning}")
    print("VERIFIED")
    return 0
