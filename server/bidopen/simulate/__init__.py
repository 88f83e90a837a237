"""`bidopen simulate`: a whole opening with simulated bidders and a crowd of public viewers."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Imported on use: viewer worker processes import this package and must stay small.
    from bidopen.simulate.command import register as register_command

    register_command(subparsers)


__all__ = ["register"]
