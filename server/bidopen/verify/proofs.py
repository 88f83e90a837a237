"""`bidopen proofs`: after the deadline, fetch and check the log's proof of each kept receipt.

The receipt protected the bidder until the deadline; from the deadline batch on, the log
does: each receipt's bid must be in it. A receipt whose deadline has passed (by this
machine's clock, with a minute's margin for the batch and its checkpoint) but whose
entry the hub cannot prove is reported as the platform's fault.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bidopen.clock import parse_iso
from bidopen.tlog.cosignature import cosignature_verifier
from bidopen.tlog.errors import LogError
from bidopen.tlog.note import ed25519_verifier
from bidopen.tlog.policy import LogPolicy
from bidopen.verify.check import VerificationFailed, check_receipt_proof
from bidseal.codec import b64u_decode

BATCH_MARGIN = timedelta(minutes=1)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "proofs",
        help="after the deadline: prove each kept receipt's bid is in the public log",
        description=(
            "For each receipt in the file, fetch the tlog-proof of its bid's entry, check it "
            "against the log's key and the witness policy, and keep it beside the receipts."
        ),
    )
    parser.add_argument("--url", required=True, help="the hub, e.g. https://kaibiao.example.cn")
    parser.add_argument("--receipts", type=Path, required=True, help="KEYDIR/receipts.jsonl")
    parser.add_argument("--log", required=True, metavar="VKEY", help="the log's verifier key")
    parser.add_argument("--witness", action="append", default=[], metavar="VKEY")
    parser.add_argument("--quorum", type=int, default=0)
    parser.add_argument("--server-key", type=Path, help="GET /api/server-key saved earlier")
    parser.add_argument("--keep", type=Path, help="folder for the proofs (default: beside)")
    parser.set_defaults(func=run_proofs)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def run_proofs(args: argparse.Namespace) -> int:
    base = args.url.rstrip("/")
    try:
        policy = LogPolicy(
            ed25519_verifier(args.log),
            tuple(cosignature_verifier(v) for v in args.witness),
            args.quorum,
        )
        if args.server_key is not None:
            key_info = json.loads(args.server_key.read_text())
        else:
            status, body = _get(f"{base}/api/server-key")
            key_info = json.loads(body)
            print("note the server's key was fetched from the hub: give --server-key")
        server_key = b64u_decode(key_info["key"])
        lines = args.receipts.read_text(encoding="utf-8").splitlines()
        receipts: list[dict[str, Any]] = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError, KeyError, LogError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    keep = args.keep or args.receipts.parent / "proofs"
    keep.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    for receipt in receipts:
        if receipt.get("type") != "receipt":
            continue
        payload = json.loads(receipt["payload"])
        digest = hashlib.sha256(receipt["payload"].encode()).hexdigest()
        label = f"receipt {payload['receipt_id']} ({payload['tender']} lot {payload['lot']})"
        path = f"/api/sessions/{payload['tender']}/receipts/{digest}/proof"
        status, body = _get(base + path)
        if status == 404:
            if now < parse_iso(payload["deadline"]) + BATCH_MARGIN:
                print(f"wait {label}: its deadline batch is not in the log yet")
                continue
            print(f"FAILED: {label} is missing from the log: the platform's fault", file=sys.stderr)
            return 1
        try:
            index, size = check_receipt_proof(body, receipt, policy, server_key)
        except VerificationFailed as exc:
            print(f"FAILED: {label}: {exc}", file=sys.stderr)
            return 1
        (keep / f"{digest}.tlog-proof").write_bytes(body)
        print(f"ok  {label} is entry {index} of the log (checkpoint of size {size})")
    return 0
