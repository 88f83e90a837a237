"""Clients that vanish (a killed viewer, a socket dropped mid-handshake) leave no ERROR line."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest
from hubtesting import HubApi

from hubprocess import HubProcess

WAIT_S = 30.0
# Enough tries that one of them drops while the hub writes its 101 answer.
MAX_DROPS = 300

VIEWER = textwrap.dedent(
    """
    import asyncio, sys
    import socketio

    async def main() -> None:
        client = socketio.AsyncClient()
        seated = asyncio.Event()
        client.on("snapshot", lambda _data: seated.set(), namespace="/public")
        await client.connect(
            sys.argv[1], namespaces=["/public"], auth={"session_id": sys.argv[2]},
            transports=["websocket"],
        )
        await seated.wait()
        print("seated", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: what is logged when a client leaves does not depend on the database."""
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bidopen.db'}"


def drop_during_handshake(port: int) -> None:
    """Ask for a websocket, then reset the TCP connection without reading the answer."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        # Linger 0: close() sends RST, as a crashed client or a cut network does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]


async def wait_for_log(hub: HubProcess, needle: str) -> None:
    async with asyncio.timeout(WAIT_S):
        # The log is a file another process writes: nothing signals a new line.
        while needle not in hub.log_text():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_a_killed_viewer_leaves_no_error(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender(deadline_in=3600))["id"]
    viewer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", VIEWER, hub_process.base_url, tid, stdout=subprocess.PIPE
    )
    try:
        assert viewer.stdout is not None
        line = await asyncio.wait_for(viewer.stdout.readline(), WAIT_S)
        assert line.strip() == b"seated"
    finally:
        # SIGKILL: the viewer's process says nothing more; the kernel closes its socket.
        viewer.send_signal(signal.SIGKILL)
        await viewer.wait()
    await wait_for_log(hub_process, "/public socket")
    # The room's next event is written to a socket that is gone.
    await api.host(tid, "abort", {"reason": "招标文件需要修改"})
    assert error_lines(hub_process.log_text()) == []


async def test_a_socket_dropped_mid_handshake_leaves_no_error(hub_process: HubProcess) -> None:
    def noticed(log: str) -> bool:
        # The hub noticed a drop while answering: at DEBUG as it should, or as an error.
        return "client left during" in log or bool(error_lines(log))

    for _ in range(MAX_DROPS):
        await asyncio.to_thread(drop_during_handshake, hub_process.port)
        if noticed(hub_process.log_text()):
            break
    assert noticed(hub_process.log_text()), "no drop fell inside the handshake"
    assert error_lines(hub_process.log_text()) == []
