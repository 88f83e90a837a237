"""The `bidder` and `host` command groups of `bidopen`, built on the client library."""

from __future__ import annotations

import argparse

from bidopen.client.cli_bidder import register_bidder_commands
from bidopen.client.cli_host import register_host_commands


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    register_bidder_commands(subparsers)
    register_host_commands(subparsers)
