"""What the host and the harness do around the operator tests (CLI and bidder room alike)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from operator_proxy import OperatorProxy
from proxy_thread import operator_proxy

from hubprocess import HubProcess, free_port

STEP_S = 60

Host = Callable[..., Any]


def host_command(hub: HubProcess, folder: Path, *args: str) -> Any:
    """`bidopen host COMMAND …` against the hub itself (the proxy stands before bidders only)."""
    done = subprocess.run(
        [sys.executable, "-m", "bidopen", "host", args[0], "--user", hub.host_user, *args[1:]],
        cwd=folder,
        env={**os.environ, "BIDOPEN_URL": hub.base_url, "BIDOPEN_HOST_PASSWORD": hub.host_password},
        capture_output=True,
        text=True,
        timeout=STEP_S,
        check=True,
    )
    return json.loads(done.stdout)


def wait_for_phase(host: Host, tender: str, phase: str) -> None:
    give_up = time.monotonic() + STEP_S
    while host("status", tender)["view"]["phase"] != phase:
        assert time.monotonic() < give_up, f"{tender} never reached {phase}"
        time.sleep(0.3)


def open_decryption(host: Host, tender: str) -> None:
    """Past the deadline with one bid in lot 1 (lot 2's was withdrawn, so lot 2 stops by
    itself): the host lets lot 1 go on and opens the decryption window."""
    wait_for_phase(host, tender, "quorum_decision")
    host("quorum", tender, "--lot", "1", "--choice", "continue", "--reason", "演练")
    wait_for_phase(host, tender, "opening")
    host("start", tender)
    wait_for_phase(host, tender, "decryption")


@contextmanager
def honest_at_first(proxy: OperatorProxy) -> Iterator[OperatorProxy]:
    """The proxy with no rewrites and no recorded keys at the start of a test, and after it."""
    proxy.json_rewrites.clear()
    proxy.frame_rewrites.clear()
    proxy.data_keys.clear()
    try:
        yield proxy
    finally:
        proxy.json_rewrites.clear()
        proxy.frame_rewrites.clear()


@contextmanager
def hub_behind_proxy(root: Path) -> Iterator[tuple[HubProcess, OperatorProxy]]:
    """An honest hub on SQLite under `root`, configured for the origin of the proxy before it
    (as for any reverse proxy), and that proxy, on a thread of its own."""
    data = root / "data"
    data.mkdir()
    port = free_port()
    hub = HubProcess(
        data,
        f"sqlite+aiosqlite:///{data / 'bidopen.db'}",
        root / "hub.log",
        extra_env={"BIDOPEN_ALLOWED_ORIGINS": f"http://127.0.0.1:{port}"},
    )
    hub.start()
    try:
        with operator_proxy(hub.base_url, port) as proxy:
            yield hub, proxy
    finally:
        hub.stop()
