"""Two hub processes on one PostgreSQL database and one Redis: an event on one reaches the other."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from hubtesting import HubApi

from hubprocess import HubProcess, _create_pg_database, _drop_pg_database, pg_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[HubProcess, HubProcess]]:
    name = asyncio.run(_create_pg_database())
    channel = f"bidopen-test-{secrets.token_hex(4)}"
    env = {"BIDOPEN_REDIS_URL": "redis://127.0.0.1:6379/0", "BIDOPEN_REDIS_CHANNEL": channel}
    nodes = []
    try:
        for label in ("a", "b"):
            data = tmp_path / label
            data.mkdir()
            if nodes:
                # One deployment, one public log: every node holds the same log key.
                shutil.copy(nodes[0].data_dir / "log-key.pem", data / "log-key.pem")
            node = HubProcess(data, pg_url(name), tmp_path / f"{label}.log", extra_env=env)
            node.start()
            nodes.append(node)
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            node.stop()
        asyncio.run(_drop_pg_database(name))


async def test_event_on_one_node_reaches_sockets_of_the_other(
    two_nodes: tuple[HubProcess, HubProcess],
) -> None:
    a, b = two_nodes
    async with aiohttp.ClientSession(base_url=a.base_url) as http_a:
        api = HubApi(http_a)
        await api.login_host(a.host_user, a.host_password)
        tid = (await api.create_tender(deadline_in=3600))["id"]
        received: list[dict[str, Any]] = []
        viewer = socketio.AsyncClient()
        viewer.on("event", received.append, namespace="/public")
        await viewer.connect(
            b.base_url, namespaces=["/public"], auth={"session_id": tid}, transports=["websocket"]
        )
        await asyncio.sleep(0.5)
        await api.host(tid, "abort", {"reason": "招标文件需要修改"})
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.1)
        await viewer.disconnect()
    assert [m["kind"] for m in received] == ["session_aborted"]
    assert received[0]["seq"] == 2
    # Node b reads the same log from the shared database.
    async with aiohttp.ClientSession(base_url=b.base_url) as http_b:
        events = await HubApi(http_b).events(tid)
    assert [e["kind"] for e in events] == ["session_scheduled", "session_aborted"]
