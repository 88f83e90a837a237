"""Real parts the failover tests start, stop and kill: a Redis and a PostgreSQL of their own,
and hub nodes on them (the shared 127.0.0.1 servers of the machine are never stopped)."""

from __future__ import annotations

import asyncio
import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

_HUB_TESTS = str(Path(__file__).resolve().parents[1] / "hub")
if _HUB_TESTS not in sys.path:
    sys.path.insert(0, _HUB_TESTS)

from hubprocess import HubProcess, free_port  # noqa: E402


@dataclass
class RedisServer:
    """A redis-server of the test's own, on a free port, without persistence."""

    workdir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        redis = shutil.which("redis-server")
        if redis is None:
            pytest.skip("redis-server is not installed")
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [
                redis,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class OwnPostgres:
    """A PostgreSQL cluster in a temporary folder, which a test may stop and start.

    PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user.
    """

    port: int = 0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bidopen-pg-")))

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, name: str, *args: str) -> None:
        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
        if not found:
            pytest.skip(f"PostgreSQL's {name} is not installed")
        prefix: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root without a postgres user to run PostgreSQL")
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
            prefix = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*prefix, found[-1], *args], check=True, stdout=subprocess.DEVNULL)

    def init(self) -> None:
        self.port = free_port()
        self._run(
            "initdb",
            "-D",
            str(self.workdir / "pg"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.workdir / "pg"),
            "-w",
            "-o",
            options,
            "-l",
            str(self.workdir / "pg.log"),
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.workdir / "pg"), "-w", "-m", "fast", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def _wait_for_port(port: int) -> None:
    import socket

    end = time.monotonic() + 10
    while time.monotonic() < end:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def node(
    tmp_path: Path, label: str, database_url: str, env: dict[str, str], data: Path | None = None
) -> HubProcess:
    """A hub node; nodes given the same `data` folder share it as docs/deployment.md says."""
    folder = data or tmp_path / label
    folder.mkdir(exist_ok=True)
    settings = {"BIDOPEN_HEARTBEAT_MS": "500", **env}
    return HubProcess(folder, database_url, tmp_path / f"{label}.log", extra_env=settings)


def get_json(url: str) -> tuple[int, Any]:
    """A blocking GET (the tests call it from threads while the hub is failing)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def metric(base_url: str, name: str) -> float:
    """The value of one unlabelled sample of `/metrics` (0 when it is absent)."""
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def until(check: Any, within: float, what: str) -> None:
    """Poll `check()` (sync or async) until it is true; fail naming `what` after `within` s."""
    end = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert asyncio.get_running_loop().time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


__all__ = ["HubProcess", "OwnPostgres", "RedisServer", "get_json", "metric", "node", "until"]
