"""Connections: a cap per address on every transport (bare Engine.IO too), a ceiling for the
process that keeps descriptors for uploads, viewers refused first, and the open-file limit
raised at start and reported."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import socketio
from deadline_kit import client_from, error_code, hostile_hub
from hubtesting import seal_bid

from hubprocess import HubProcess

UPGRADE = (
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def _socket(port: int, address: str, hello: str | None) -> tuple[asyncio.StreamWriter, str]:
    """A raw connection from `address`; with `hello`, its answer's status line ("" if closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
    if hello is None:
        return writer, ""
    writer.write(hello.encode())
    try:
        line = await asyncio.wait_for(reader.readline(), 10)
    except (ConnectionError, TimeoutError):
        line = b""
    return writer, line.decode().strip()


async def _closed_at_once(port: int, address: str) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
    try:
        return await asyncio.wait_for(reader.read(1), 3) == b""
    except ConnectionError:
        return True
    except TimeoutError:
        return False  # still open
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def _held(writers: list[asyncio.StreamWriter]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for writer in writers:
            writer.close()


@pytest.fixture
def hub_env() -> dict[str, str]:
    return {
        "BIDOPEN_MAX_CONNECTIONS_PER_ADDRESS": "20",
        "BIDOPEN_MAX_SOCKET_SESSIONS_PER_ADDRESS": "5",
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_one_address_cannot_take_more_than_its_share(hub_process: HubProcess) -> None:
    port = hub_process.port
    writers = [(await _socket(port, "127.0.0.3", None))[0] for _ in range(20)]
    async with _held(writers):
        await asyncio.sleep(0.2)
        assert await _closed_at_once(port, "127.0.0.3")
        async with client_from(hub_process.base_url, "127.0.0.4") as other:
            await other.call("GET", "/api/tenders", expect=200)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_bare_engine_io_sessions_are_counted_per_address(hub_process: HubProcess) -> None:
    path = "/socket.io/?EIO=4&transport=polling"
    async with client_from(hub_process.base_url, "127.0.0.5") as one:
        statuses = []
        for _ in range(7):
            async with one.http.get(path) as response:
                statuses.append(response.status)
        assert statuses[:5] == [200] * 5 and statuses[5:] == [401, 401], statuses
    async with client_from(hub_process.base_url, "127.0.0.6") as other, other.http.get(path) as r:
        assert r.status == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_at_a_low_descriptor_limit_viewers_yield_and_uploads_succeed(
    tmp_path: Path, database_url: str
) -> None:
    # 256 descriptors: at most (256 - 64) // 3 = 64 connections, viewers refused from 48.
    hub = hostile_hub(tmp_path, database_url, nofile=(256, 256))
    hub.start()
    try:
        answers: list[str] = []
        writers: list[asyncio.StreamWriter] = []
        async with _held(writers):
            # 300 bare Engine.IO websockets from 30 addresses: more than the descriptors.
            for n in range(300):
                writer, line = await _socket(hub.port, f"127.0.1.{n % 30 + 1}", UPGRADE)
                writers.append(writer)
                answers.append(line)
            opened = sum("101" in line for line in answers)
            assert 0 < opened <= 48, opened
            assert any("503" in line for line in answers) or "" in answers
            async with client_from(hub.base_url, "127.0.2.1") as api:
                await api.login_host(hub.host_user, hub.host_password)
                tender = await api.create_tender(deadline_in=600)
                bidder = await api.register("满载时投标公司")
                sealed = seal_bid(bidder, tender["id"], "1", {"price": "1", "duration_days": "1"})
                status, body = await api.upload(bidder, tender["id"], "1", sealed)
                assert status == 201, body
                # A new viewer is refused with a code, not dropped with a 500.
                status, body = await api.call("GET", "/")
                assert (status, error_code(body)) == (503, "busy")
        log = hub.log_text()
        assert "open-file limit 256 (hard 256): at most 64 connections" in log
        assert "Traceback" not in log and "internal_error" not in log
    finally:
        hub.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_hub_raises_its_open_file_limit_and_says_what_it_got(
    tmp_path: Path, database_url: str
) -> None:
    hub = hostile_hub(tmp_path, database_url, nofile=(256, 4096))
    hub.start()
    try:
        async with client_from(hub.base_url) as api:
            await api.call("GET", "/api/tenders", expect=200)
        assert "open-file limit 4096 (hard 4096)" in hub.log_text()
    finally:
        hub.stop()


async def _socket_sign_in(url: str, source: str, token: str) -> str | None:
    """Connect to `/host` from `source`; None if it was let in, else the refusal's code."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        client = socketio.AsyncClient(http_session=http)
        refusals: list[object] = []
        client.on("connect_error", refusals.append, namespace="/host")
        try:
            await client.connect(
                url, namespaces=["/host"], auth={"token": token}, transports=["websocket"]
            )
        except socketio.exceptions.ConnectionError as exc:
            await asyncio.sleep(0.2)  # the refusal event may trail the exception
            # The refusal's error object arrives as the text of its `message`.
            found = re.search(r"'code': '(\w+)'", str(refusals))
            return found.group(1) if found else str(exc)
        await client.disconnect()
        return None


@pytest.fixture
def few_socket_failures() -> dict[str, str]:
    return {"BIDOPEN_NAMESPACE_FAILURES_PER_MINUTE": "3"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_failed_socket_sign_ins_are_limited_per_address(
    tmp_path: Path, database_url: str, few_socket_failures: dict[str, str]
) -> None:
    hub = hostile_hub(tmp_path, database_url, few_socket_failures)
    hub.start()
    try:
        codes = [await _socket_sign_in(hub.base_url, "127.0.0.7", "forged") for _ in range(4)]
        assert codes == ["unauthenticated"] * 3 + ["rate_limited"], codes
        async with client_from(hub.base_url, "127.0.0.8") as api:
            token = await api.login_host(hub.host_user, hub.host_password)
        # Another address signs in; the spent one is refused even with a valid token.
        assert await _socket_sign_in(hub.base_url, "127.0.0.8", token) is None
        assert await _socket_sign_in(hub.base_url, "127.0.0.7", token) == "rate_limited"
    finally:
        hub.stop()
