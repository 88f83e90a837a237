"""The `bidder` and `host` command groups, built on the client library."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name in ("bidder", "host"):
        parser = subparsers.add_parser(name, help=f"{name} commands")
        parser.set_defaults(func=lambda args: 2)
