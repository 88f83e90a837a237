"""The `simulate` subcommand: parse the options, run the scenario, print the JSON report."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("simulate", help="run a simulated opening and print a report")
    parser.set_defaults(func=lambda args: 2)
