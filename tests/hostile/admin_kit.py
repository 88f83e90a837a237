"""The operator's `bidopen admin`, run as a real process against a test hub."""

from __future__ import annotations

import os
import subprocess
import sys

from hubprocess import HubProcess


def admin(
    hub: HubProcess, *args: str, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `bidopen admin ARGS` against the hub's database, as an operator would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIDOPEN_")}
    env.update(BIDOPEN_DATA_DIR=str(hub.data_dir), BIDOPEN_DATABASE_URL=hub.database_url)
    if password is not None:
        env["BIDOPEN_NEW_HOST_PASSWORD"] = password
    done = subprocess.run(
        [sys.executable, "-m", "bidopen.cli", "admin", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done
