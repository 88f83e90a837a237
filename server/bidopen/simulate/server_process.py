"""A hub in its own process for one run: `python -m bidopen serve` on a free port, then stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

import aiohttp

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 15.0


class ServerStartError(Exception):
    """The hub process exited or did not answer HTTP in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the hub binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """One `bidopen serve` child: started, awaited until it answers, stopped with SIGTERM."""

    def __init__(
        self, data_dir: Path, env: Mapping[str, str], log_path: Path, host: str = "127.0.0.1"
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = free_port(host)
        self._env = env
        self.log_path = log_path
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        command = [sys.executable, "-m", "bidopen", "serve"]
        command += ["--data-dir", str(self.data_dir), "--host", self.host, "--port", str(self.port)]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env={**os.environ, **self._env},
            )
        await self._wait_until_answering()

    async def _wait_until_answering(self) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + _START_TIMEOUT_S
        async with aiohttp.ClientSession() as http:
            while loop.time() < give_up:
                if self._process is not None and self._process.returncode is not None:
                    raise ServerStartError(self._exit_message())
                try:
                    async with http.get(f"{self.url}/api/server-key") as response:
                        if response.status < 500:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        await self.stop()
        raise ServerStartError(f"the hub did not answer on {self.url} within {_START_TIMEOUT_S} s")

    def _exit_message(self) -> str:
        tail = ""
        with contextlib.suppress(OSError):
            tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        code = None if self._process is None else self._process.returncode
        return f"the hub exited with status {code} before answering:\n{tail}"

    async def stop(self) -> int | None:
        process = self._process
        if process is None or process.returncode is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(process.wait(), _STOP_TIMEOUT_S)
        except TimeoutError:
            process.kill()
            return await process.wait()
