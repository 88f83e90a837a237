"""`bidopen witness --name NAME --key FILE --state FILE --log VKEY … [--host H] [--port N]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aiohttp import web

from bidopen.service.keyfiles import FolderKey
from bidopen.tlog.cosignature import Cosigner
from bidopen.tlog.errors import LogError
from bidopen.tlog.note import check_key_name, ed25519_verifier
from bidopen.witness.server import create_witness_app
from bidopen.witness.state import WitnessState
from bidseal.ed25519 import Ed25519Key


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "witness",
        help="run a transparency-log witness (C2SP tlog-witness) for one or more logs",
        description=(
            "Cosign a log's checkpoints, but only those consistent with the last one this "
            "witness cosigned. Its key and state stay in the folder given; its verifier key "
            "is printed at start, to be given to the log and to verifiers."
        ),
    )
    parser.add_argument("--name", required=True, help="the witness's name, e.g. jd.example.cn/w1")
    parser.add_argument("--dir", type=Path, required=True, help="folder of its key and state")
    parser.add_argument(
        "--log", action="append", required=True, metavar="VKEY", help="a log to follow (repeat)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.set_defaults(func=run_witness)


def run_witness(args: argparse.Namespace) -> int:
    try:
        name = check_key_name(args.name)
        logs = {v.name: v for v in (ed25519_verifier(k) for k in args.log)}
    except LogError as exc:
        print(f"bidopen witness: {exc}", file=sys.stderr)
        return 2
    key = FolderKey(args.dir / "witness-key.pem", Ed25519Key, "witness key")
    key.save_new()
    cosigner = Cosigner(name, key.key)
    app = create_witness_app(cosigner, logs, WitnessState(args.dir / "witness.db"))

    def announce(_banner: str) -> None:
        print(f"bidopen witness on http://{args.host}:{args.port}", flush=True)
        print(f"  verifier key: {cosigner.verifier.vkey}", flush=True)

    web.run_app(app, host=args.host, port=args.port, print=announce)
    return 0
