"""The public log served by a real hub process: vkey, checkpoint, tiles, cache headers."""

from __future__ import annotations

import aiohttp
import pytest

from bidopen.tlog.note import ed25519_verifier
from bidopen.tlog.policy import LogPolicy

LOG_NAME = "kaibiao.example.cn/log"


@pytest.fixture
def hub_env() -> dict[str, str]:
    return {"BIDOPEN_PUBLIC_LOG_NAME": LOG_NAME, "BIDOPEN_PUBLIC_LOG_CHECKPOINT_MS": "100"}


async def test_the_log_is_served_under_log(hub_client: aiohttp.ClientSession) -> None:
    async with hub_client.get("/log/vkey") as answer:
        assert answer.status == 200
        vkey = (await answer.text()).strip()
    verifier = ed25519_verifier(vkey)
    assert verifier.name == LOG_NAME
    async with hub_client.get("/log/checkpoint") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert answer.headers["Cache-Control"] == "public, max-age=1"
        note = await answer.read()
    checkpoint, _note, _cosigned = LogPolicy(verifier).open_checkpoint(note)
    assert checkpoint.origin == LOG_NAME
    assert checkpoint.size == 0  # no deadline has passed: nothing is in the log
    for path in ("/log/tile/0/000.p/1", "/log/tile/entries/000.p/1", "/log/tile/0/x000/000"):
        async with hub_client.get(path) as answer:
            assert answer.status == 404, path
    async with hub_client.get("/api/log/proof/0") as answer:
        assert answer.status == 404
        assert (await answer.json())["error"]["code"] == "not_found"
