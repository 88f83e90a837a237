"""Runs the JavaScript bidseal under Node for the interop tests (interop_cli.mjs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT_WEB = ROOT / "client_web"
CLI = Path(__file__).with_name("interop_cli.mjs")
# The exit status interop_cli.mjs uses when the library refused the input.
REFUSED = 3


class JsRefused(Exception):
    """The JavaScript library raised one of its own errors; ``name`` is its class name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def require_node() -> str:
    """The node executable; fails (never skips) when node or client_web/node_modules is missing.

    CI runs ``npm ci`` in client_web before pytest, so a missing install is a
    broken build, not a reason to pass without checking interop.
    """
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (v20 or later) is not on PATH; the JS interop tests need it")
    if not (CLIENT_WEB / "node_modules" / "@hpke" / "core").is_dir():
        pytest.fail("client_web/node_modules is missing: run `npm ci` in client_web first")
    return node


def run_js(command: str, request: Mapping[str, object]) -> dict[str, object]:
    """One call of the JS library; JsRefused when it raised one of its errors."""
    completed = subprocess.run(
        [require_node(), str(CLI), command, json.dumps(request, ensure_ascii=False)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode == REFUSED:
        refusal = json.loads(completed.stdout)
        raise JsRefused(refusal["error"], refusal["message"])
    if completed.returncode != 0:
        raise AssertionError(
            f"node {command} exited {completed.returncode}:\n{completed.stderr}{completed.stdout}"
        )
    result = json.loads(completed.stdout)
    assert isinstance(result, dict)
    return result
