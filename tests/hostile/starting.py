"""Starting a hub that is expected to refuse: its exit status and everything it printed."""

from __future__ import annotations

import subprocess
import sys

from hubprocess import HubProcess


def refused_start(hub: HubProcess, prefix: tuple[str, ...] = ()) -> str:
    """Run the hub on its data folder; it must exit at once with status 1 and one line."""
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "bidopen.app"],
        env=hub.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    printed = (done.stdout + done.stderr).strip()
    assert done.returncode == 1, printed
    assert "Traceback" not in printed, printed
    lines = [line for line in printed.splitlines() if line.startswith("bidopen:")]
    assert len(lines) == 1, printed
    return lines[0]
