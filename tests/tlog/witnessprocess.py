"""A real `bidopen witness` process on a free port of 127.0.0.1, for the log tests."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hubprocess import free_port


@dataclass
class WitnessProcess:
    folder: Path
    name: str
    log_vkeys: list[str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start it; its verifier key."""
        self.folder.mkdir(parents=True, exist_ok=True)
        logs = [arg for vkey in self.log_vkeys for arg in ("--log", vkey)]
        command = [sys.executable, "-m", "bidopen", "witness", "--name", self.name]
        command += ["--dir", str(self.folder), "--port", str(self.port), *logs]
        out = open(self.folder / "witness.log", "ab")  # noqa: SIM115 - the child writes to it
        self.process = subprocess.Popen(command, stdout=out, stderr=out)
        out.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.folder / "witness.log").read_text()[-2000:])
            try:
                with urllib.request.urlopen(f"{self.url}/vkey", timeout=1) as answer:
                    return str(answer.read().decode().strip())
            except OSError:
                time.sleep(0.02)  # a start takes about a second: asked often, seen at once
        raise RuntimeError("the witness did not start in 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_witnesses(
    folder: Path, log_vkey: str, count: int = 2
) -> Iterator[list[tuple[WitnessProcess, str]]]:
    """`count` witnesses of the log `log_vkey`, each with its verifier key; stopped after."""
    started: list[tuple[WitnessProcess, str]] = []
    try:
        for i in range(1, count + 1):
            process = WitnessProcess(folder / f"w{i}", f"witness{i}.example.org", [log_vkey])
            started.append((process, process.start()))
        yield started
    finally:
        for process, _vkey in started:
            process.stop()
