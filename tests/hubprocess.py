"""A real hub process on a free port, and fresh PostgreSQL databases, for the tests to import."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PG_ADMIN_DSN = os.environ.get("BIDOPEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
HOST_USER = "host1"
HOST_PASSWORD = "host-password-1"
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class HubProcess:
    """A hub started with `python -m bidopen.app`; its log goes to a file the tests can scan."""

    data_dir: Path
    database_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    host_user: str = HOST_USER
    host_password: str = HOST_PASSWORD
    # Run before the hub's own command (for example `unshare -m …` for a private mount).
    command_prefix: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIDOPEN_")}
        env.update(
            BIDOPEN_DATA_DIR=str(self.data_dir),
            BIDOPEN_DATABASE_URL=self.database_url,
            BIDOPEN_PORT=str(self.port),
            BIDOPEN_HOST="127.0.0.1",
            BIDOPEN_BOOTSTRAP_HOST=f"{HOST_USER}:{HOST_PASSWORD}",
            BIDOPEN_LOG_LEVEL="DEBUG",
            # Tests register many bidders quickly; the limit has its own test.
            BIDOPEN_PUBLIC_REQUESTS_PER_MINUTE="100000",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        return [*self.command_prefix, sys.executable, "-m", "bidopen.app"]

    def preexec(self) -> Callable[[], None] | None:
        """Run in the child before the hub starts (a subclass sets limits there)."""
        return None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child process writes to it
        self.process = subprocess.Popen(
            self.command(), env=self.env(), stdout=log, stderr=log, preexec_fn=self.preexec()
        )
        log.close()
        # Far above a start on a quiet machine (about a second): shared machines get slow.
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/server-key", timeout=1):
                    return
            except OSError:
                time.sleep(0.02)  # a start takes about a second: asked often, seen at once
        raise RuntimeError(f"hub did not start in {START_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


async def _create_pg_database() -> str:
    import asyncpg

    name = f"bidopen_t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def pg_url(name: str) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A SQLite file under `folder`, or a new PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        (folder / "data").mkdir(parents=True, exist_ok=True)
        yield f"sqlite+aiosqlite:///{folder / 'data' / 'bidopen.db'}"
        return
    name = asyncio.run(_create_pg_database())
    try:
        yield pg_url(name)
    finally:
        asyncio.run(_drop_pg_database(name))


@contextlib.contextmanager
def running_hub(
    database_url: str, folder: Path, env: dict[str, str] | None = None
) -> Iterator[HubProcess]:
    """A hub keeping its data and log under `folder`, stopped when the block ends."""
    data_dir = folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    hub = HubProcess(data_dir, database_url, folder / "hub.log", extra_env=env or {})
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
