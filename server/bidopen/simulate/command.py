"""The `simulate` subcommand: parse the options, run the scenario, print the JSON report."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path

from bidopen.client import ClientError
from bidopen.simulate.options import SimulationOptions
from bidopen.simulate.report import summarize
from bidopen.simulate.run import SimulationError, simulate

PASSWORD_ENV = "BIDOPEN_HOST_PASSWORD"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="模拟一场开标 / run a whole simulated opening and print a JSON report",
        description=(
            "Start a hub in its own process (or use --url), create a tender whose deadline is "
            "seconds away, let simulated bidders seal, upload, sign in and decrypt, read out to "
            "a crowd of public viewers, confirm or object, and publish the signed record. "
            "Prints one JSON report; exits 1 if anything did not add up."
        ),
    )
    parser.add_argument("--bidders", type=int, default=5, help="simulated bidders (default 5)")
    parser.add_argument("--viewers", type=int, default=20, help="public viewers (default 20)")
    parser.add_argument(
        "--fail", type=int, default=0, metavar="K", help="bidders who fail to decrypt"
    )
    parser.add_argument(
        "--object", type=int, default=0, metavar="J", help="bidders who object to the read-out"
    )
    parser.add_argument("--url", help="use this running hub instead of starting one")
    parser.add_argument("--host-user", help=f"host account on --url (password in ${PASSWORD_ENV})")
    parser.add_argument(
        "--lead", type=float, metavar="SECONDS", help="seconds from tender creation to deadline"
    )
    parser.add_argument(
        "--reading",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="bidders read the read-out before they confirm or object: their answers spread "
        "over the second half of this many seconds after it (default 3; 0: all at once)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="keep the spawned hub's data here (default: a temp folder)"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="openings in a row on one hub; the report then gives the median figures",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress lines on stderr, only the report"
    )
    parser.set_defaults(func=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    try:
        options = SimulationOptions(
            bidders=args.bidders,
            viewers=args.viewers,
            failing=args.fail,
            objecting=args.object,
            url=args.url,
            host_user=args.host_user,
            host_password=os.environ.get(PASSWORD_ENV),
            lead_seconds=args.lead,
            reading_seconds=args.reading,
            data_dir=args.data_dir,
            progress=not args.quiet,
            runs=args.runs,
        )
    except ValueError as error:
        print(f"bidopen simulate: {error}", file=sys.stderr)
        return 2
    # python-socketio logs harmless noise when the host's socket closes mid-write.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    try:
        reports = asyncio.run(simulate(options))
    except (SimulationError, ClientError) as error:
        print(f"bidopen simulate: {error}", file=sys.stderr)
        return 1
    summary = reports[0].to_json() if len(reports) == 1 else summarize(reports)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0 if summary["ok"] else 1
