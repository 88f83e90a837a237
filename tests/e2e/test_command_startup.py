"""`bidopen` imports only what the command given uses (start-up figures: bench/bench_cli.py)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from bidopen.cli import COMMANDS, build_parser

# What the hub and its clients pull in; a command that does not talk to a hub needs none.
HEAVY = ("aiohttp", "socketio", "sqlalchemy", "aiortc", "av", "bidopen.app", "bidopen.session")

_PROBE = """
import json, sys
from bidopen.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=60
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY))


@pytest.mark.parametrize(
    "args",
    [("--help",), (), ("seal", "--help"), ("open", "--help"), ("keygen", "--help")],
    ids=["help", "nothing", "seal", "open", "keygen"],
)
def test_commands_without_a_hub_import_none_of_it(args: tuple[str, ...]) -> None:
    assert _heavy(_modules_after(*args)) == []


def test_a_hub_command_imports_its_part() -> None:
    assert "bidopen.client.cli_host" in _modules_after("host", "--help")


def test_the_listing_says_what_each_command_says_of_itself() -> None:
    full = build_parser()
    (subparsers,) = [a for a in full._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {action.dest: action.help for action in subparsers._choices_actions}
    assert helps == {name: help_text for name, (_, help_text) in COMMANDS.items()}
    assert list(helps) == list(COMMANDS)
