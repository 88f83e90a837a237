"""The `bidopen` command: one entry point composed from each part's subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import bidopen.admin as admin
import bidopen.client.cli as client_cli
import bidopen.serve as serve
import bidopen.server_key_cli as server_key_cli
import bidopen.video.stream as stream
import bidseal.cli as seal_cli
from bidopen.simulate import register as register_simulate

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _registrars() -> list[Register]:
    return [
        seal_cli.register,
        serve.register,
        server_key_cli.register,
        admin.register,
        client_cli.register,
        register_simulate,
        stream.register,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bidopen",
        description="不见面开标 remote bid opening: seal bids, run the hub, join an opening.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for register in _registrars():
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
