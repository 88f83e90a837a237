"""The `bidopen` command: one entry point composed from each part's subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Collection, Sequence

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

# Each command: the function that adds its parser ("module:function"), and its line in
# `bidopen --help`. Only the module of the command given is imported: the parts behind
# the commands (the hub, aiohttp, aiortc, SQLAlchemy) take a second and 100 MiB to import,
# which `bidopen --help` and `bidopen seal` do not need. tests/crypto/test_bidseal_cli.py
# checks each line against the help its module gives.
COMMANDS: dict[str, tuple[str, str]] = {
    "keygen": ("bidseal.cli:register", "make a bidder key pair folder"),
    "seal": ("bidseal.cli:register", "seal a bid document to your own key"),
    "open": ("bidseal.cli:register", "decrypt one of your sealed bids"),
    "inspect": ("bidseal.cli:register", "check a sealed file without decrypting it"),
    "serve": ("bidopen.serve:register", "run the hub (SQLite and local files by default)"),
    "server-key": (
        "bidopen.server_key_cli:register",
        "show or rotate the hub's signing key (stop every hub of the data folder first)",
    ),
    "admin": (
        "bidopen.admin:register",
        "管理员 / operator: organisations and host accounts (run on the server)",
    ),
    "bidder": (
        "bidopen.client.cli_bidder:register_bidder_commands",
        "投标人 / bidder: register, bid, join an opening",
    ),
    "host": (
        "bidopen.client.cli_host:register_host_commands",
        "主持人 / host: create a tender, run its opening",
    ),
    "simulate": (
        "bidopen.simulate:register",
        "模拟一场开标 / run a whole simulated opening and print a JSON report",
    ),
    "stream": (
        "bidopen.video.stream:register",
        "推送评标现场视频 / publish the evaluation room's video to a session",
    ),
    "witness": (
        "bidopen.witness.command:register",
        "run a transparency-log witness (C2SP tlog-witness) for one or more logs",
    ),
    "verify": (
        "bidopen.verify.command:register",
        "check an opening's bundle offline: signatures, log proofs, the record's replay",
    ),
    "proofs": (
        "bidopen.verify.proofs:register",
        "after the deadline: prove each kept receipt's bid is in the public log",
    ),
}


def registrar(command: str) -> Register:
    """The function that adds `command`'s parser, imported now."""
    module, _, name = COMMANDS[command][0].partition(":")
    register: Register = getattr(importlib.import_module(module), name)
    return register


def build_parser(full: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the commands in `full` (default: all) complete.

    The others are listed by their help line only, so `bidopen --help` shows them all.
    """
    parser = argparse.ArgumentParser(
        prog="bidopen",
        description="不见面开标 remote bid opening: seal bids, run the hub, join an opening.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    wanted = {COMMANDS[name][0] for name in (COMMANDS if full is None else full)}
    registered: set[str] = set()
    for name, (target, help_text) in COMMANDS.items():
        if target not in wanted:
            subparsers.add_parser(name, help=help_text)
        elif target not in registered:  # a module adds all of its commands at once
            registered.add(target)
            registrar(name)(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(() if command is None else (command,))
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
