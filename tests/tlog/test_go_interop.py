"""Interop with code that is not ours: Go's sumdb/note and sumdb/tlog check the served log."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest
from tlog_kit import entries

from bidopen.clock import SystemClock
from bidopen.service.publiclog import PublicLog, load_log_signer
from bidopen.store.db import Database
from bidopen.tlog.note import ed25519_verifier
from bidopen.tlog.policy import LogPolicy
from hubprocess import HubProcess

GO_SOURCE = Path(__file__).parent / "go" / "interop.go"
GOPATH = Path("/usr/share/gocode")  # Debian's golang-golang-x-mod-dev
LOG_NAME = "kaibiao.example.cn/log"

pytestmark = pytest.mark.skipif(
    shutil.which("go") is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir(),
    reason="Go and golang.org/x/mod are absent (apt-get install golang-go golang-golang-x-mod-dev)",
)


@pytest.fixture
def hub_env() -> dict[str, str]:
    return {"BIDOPEN_PUBLIC_LOG_NAME": LOG_NAME, "BIDOPEN_PUBLIC_LOG_CHECKPOINT_MS": "100"}


@pytest.fixture(scope="module")
def interop_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go program, built once for the module's tests."""
    return _build(tmp_path_factory.mktemp("go"))


def _build(tmp_path: Path) -> Path:
    binary = tmp_path / "interop"
    env = dict(os.environ, GOPATH=str(GOPATH), GO111MODULE="off", GOCACHE=str(tmp_path / "gocache"))
    subprocess.run(
        ["go", "build", "-o", str(binary), str(GO_SOURCE)], check=True, env=env, timeout=300
    )
    return binary


async def test_go_verifies_checkpoint_tiles_bundles_and_a_proof(
    hub_process: HubProcess,
    hub_client: aiohttp.ClientSession,
    tmp_path: Path,
    interop_binary: Path,
) -> None:
    items = entries(600)
    # Another writer of the same database (as a second node would be) appends; the hub's
    # sequencer signs the checkpoint that covers the entries.
    db = Database(hub_process.database_url)
    try:
        signer = load_log_signer(hub_process.data_dir / "log-key.pem", LOG_NAME)
        writer = PublicLog(db, SystemClock(), signer)
        await writer.append(items[:300])
        await writer.append(items[300:])
    finally:
        await db.close()
    async with hub_client.get("/log/vkey") as answer:
        vkey = (await answer.text()).strip()
    policy = LogPolicy(ed25519_verifier(vkey))
    for _ in range(100):
        async with hub_client.get("/log/checkpoint") as answer:
            size = policy.open_checkpoint(await answer.read())[0].size
        if size == 600:
            break
        await asyncio.sleep(0.05)
    assert size == 600
    async with hub_client.get("/api/log/proof/517") as answer:
        assert answer.status == 200
        (tmp_path / "entry.tlog-proof").write_bytes(await answer.read())
    (tmp_path / "entry").write_bytes(items[517])

    def run(entry: str) -> subprocess.CompletedProcess[str]:
        command = [
            str(interop_binary),
            hub_process.base_url,
            vkey,
            str(tmp_path / "entry.tlog-proof"),
        ]
        return subprocess.run(
            [*command, entry], capture_output=True, text=True, timeout=120, check=False
        )

    ok = await asyncio.to_thread(run, str(tmp_path / "entry"))
    assert ok.returncode == 0, ok.stderr
    assert "ok: kaibiao.example.cn/log size 600" in ok.stdout
    # The same program refuses a proof for another entry: it can fail.
    (tmp_path / "other").write_bytes(items[516])
    refused = await asyncio.to_thread(run, str(tmp_path / "other"))
    assert refused.returncode == 1
    assert "tlog-proof" in refused.stderr
