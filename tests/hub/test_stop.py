"""A stop with clients connected: the hub closes their connections at once and exits.

How long the stop takes is measured by bench/bench_stop.py, not asserted here; this test
fails when the hub waits for its sockets instead of closing them.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess

import aiohttp
import pytest
import socketio
from hubtesting import HubApi

from hubprocess import HubProcess

SOCKETS = 20
# Far above the stop the hub makes (bench/bench_stop.py) and far below the minute that
# the web server would wait for a socket's handler if nothing closed it.
EXIT_WITHIN_S = 20


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
async def test_a_stop_closes_every_socket_and_exits(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, stop_signal: signal.Signals
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender())["id"]
    reasons: list[str] = []
    clients = []
    for _ in range(SOCKETS):
        client = socketio.AsyncClient(reconnection=False)
        client.on("disconnect", reasons.append, namespace="/public")
        await client.connect(
            hub_process.base_url,
            namespaces=["/public"],
            auth={"session_id": tid},
            transports=["websocket"],
        )
        clients.append(client)
    process = hub_process.process
    assert process is not None

    process.send_signal(stop_signal)
    try:
        code = await asyncio.to_thread(process.wait, EXIT_WITHIN_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the hub still ran {EXIT_WITHIN_S} s after {stop_signal.name}")
    assert code == 0, hub_process.log_text()[-3000:]
    # Every client was told by the hub closing its connection, none found out by a timeout.
    for _ in range(50):
        if len(reasons) == SOCKETS:
            break
        await asyncio.sleep(0.1)
    assert len(reasons) == SOCKETS
    assert f"closed {SOCKETS} connections for the stop" in hub_process.log_text()
    assert "Traceback" not in hub_process.log_text()
    for client in clients:
        await client.shutdown()
