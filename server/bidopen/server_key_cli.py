"""`bidopen server-key`: show the hub's signing keys, or rotate to a new one on purpose."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bidopen.clock import SystemClock


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "server-key",
        help="show or rotate the hub's signing key (stop every hub of the data folder first)",
        description=(
            "The hub never replaces a missing signing key by itself. `rotate` retires the "
            "current key (its public key stays served at GET /api/server-key/{key_id}, so "
            "every document it signed still verifies) and makes a new one."
        ),
    )
    parser.add_argument("action", choices=("show", "rotate"))
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="default ./data")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bidopen.service.signing import SERVER_KEY_FILE, ServerSigner, read_retired, rotate

    data_dir: Path = args.data_dir
    if not (data_dir / SERVER_KEY_FILE).exists():
        print(f"bidopen server-key: no {SERVER_KEY_FILE} in {data_dir}", file=sys.stderr)
        return 1
    if args.action == "rotate":
        old, new = rotate(data_dir, SystemClock().now())
        print(f"retired {old}; signing with {new}")
        return 0
    print(f"current {ServerSigner.open(data_dir).key_id}")
    for retired in read_retired(data_dir):
        print(f"retired {retired.key_id} at {retired.retired_at}")
    return 0
