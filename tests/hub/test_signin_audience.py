"""Sign-in on a hub bound to 0.0.0.0: the challenge names the origin the bidder reached."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bidopen.client.bidder import BidderClient
from bidopen.client.errors import ClientError
from bidseal import generate_keys, sign_challenge
from hubprocess import HubProcess

WILDCARD = {"BIDOPEN_HOST": "0.0.0.0"}
CONFIGURED = "https://kaibiao.example.cn"


@contextlib.contextmanager
def wildcard_hub(folder: Path, env: dict[str, str]) -> Iterator[HubProcess]:
    """As in conftest, on SQLite only (the audience rule lives in the HTTP layer), on a port
    free on every address: 0.0.0.0 clashes with more sockets."""
    data = folder / "data"
    data.mkdir()
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port = int(probe.getsockname()[1])
    database_url = f"sqlite+aiosqlite:///{data / 'bidopen.db'}"
    hub = HubProcess(data, database_url, folder / "hub.log", port=port, extra_env=env)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def hub_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """One hub for the module's tests: each registers its own bidders."""
    with wildcard_hub(tmp_path_factory.mktemp("audience"), WILDCARD) as hub:
        yield hub


@pytest.fixture
def configured_hub(tmp_path: Path) -> Iterator[HubProcess]:
    """A hub whose operator configured the origin bidders use (it stays on 0.0.0.0)."""
    with wildcard_hub(tmp_path, {**WILDCARD, "BIDOPEN_ALLOWED_ORIGINS": CONFIGURED}) as hub:
        yield hub


def lan_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


async def signed_in(base_url: str) -> str:
    """Register a bidder and sign in with the Python client through `base_url`; its id."""
    async with BidderClient(base_url, generate_keys()) as bidder:
        await bidder.register("华东建设集团有限公司", "张三 13800000000")
        await bidder.login()
        me = await bidder.http.get("/api/bidders/me")
        assert me["bidder_id"] == bidder.bidder_id
        return str(me["bidder_id"])


async def register(http: aiohttp.ClientSession, base_url: str) -> tuple[str, Any]:
    keys = generate_keys()
    body = {"org_name": "甲公司", "contact": "李四", "public_bundle": keys.public.to_json()}
    async with http.post(f"{base_url}/api/bidders", json=body) as response:
        assert response.status == 201
        return str((await response.json())["bidder_id"]), keys


async def challenge(
    http: aiohttp.ClientSession, base_url: str, bidder_id: str, host: str | None = None
) -> tuple[int, Any]:
    headers = {"Host": host} if host is not None else {}
    async with http.post(
        f"{base_url}/api/bidders/{bidder_id}/challenge", headers=headers, json={}
    ) as r:
        return r.status, await r.json()


async def login(
    http: aiohttp.ClientSession, base_url: str, bidder: tuple[str, Any], text: str, audience: str
) -> tuple[int, Any]:
    """Sign challenge `text` for `audience` with the bidder's key and log in with it."""
    bidder_id, keys = bidder
    body = {"challenge": text, "signature": sign_challenge(keys, text, audience)}
    async with http.post(f"{base_url}/api/bidders/{bidder_id}/login", json=body) as response:
        return response.status, await response.json()


async def test_a_bidder_signs_in_through_loopback(hub_process: HubProcess) -> None:
    assert await signed_in(hub_process.base_url)


async def test_a_bidder_signs_in_through_the_lan_address(hub_process: HubProcess) -> None:
    address = lan_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    assert await signed_in(f"http://{address}:{hub_process.port}")


async def test_the_audience_is_the_origin_reached(hub_process: HubProcess) -> None:
    base = hub_process.base_url
    async with aiohttp.ClientSession() as http:
        bidder_id, _ = await register(http, base)
        assert (await challenge(http, base, bidder_id))[1]["audience"] == base
        local = f"localhost:{hub_process.port}"
        assert (await challenge(http, base, bidder_id, local))[1]["audience"] == f"http://{local}"


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",  # a relay's own name
        "evil.example:{port}",
        "10.0.0.99:{port}",  # an address this connection did not arrive on
        "127.0.0.1:1",  # the right address, another port
        "0.0.0.0:{port}",  # what the hub is bound to, which no client reaches
        "user@127.0.0.1:{port}",
    ],
)
async def test_a_host_the_hub_cannot_vouch_for_gets_no_challenge(
    hub_process: HubProcess, host: str
) -> None:
    base = hub_process.base_url
    async with aiohttp.ClientSession() as http:
        bidder_id, _ = await register(http, base)
        status, body = await challenge(http, base, bidder_id, host.format(port=hub_process.port))
    assert (status, body["error"]["code"]) == (403, "origin_refused")
    assert "allowed_origins" in body["error"]["message"]


async def test_a_signature_for_another_audience_is_refused(hub_process: HubProcess) -> None:
    base = hub_process.base_url
    async with aiohttp.ClientSession() as http:
        bidder = await register(http, base)
        _, issued = await challenge(http, base, bidder[0])
        text = issued["challenge"]
        # What a relay at evil.example would have the bidder sign, and another origin of
        # this very hub: both are not the audience this challenge was issued for.
        for audience in ("http://evil.example", f"http://localhost:{hub_process.port}"):
            status, body = await login(http, base, bidder, text, audience)
            assert (status, body["error"]["code"]) == (401, "signature_invalid")
        # The refusals did not spend the challenge: the right signature still signs in.
        status, body = await login(http, base, bidder, text, issued["audience"])
        assert status == 200 and body["token"]


async def test_a_configured_origin_is_the_audience_whatever_the_host(
    configured_hub: HubProcess,
) -> None:
    base = configured_hub.base_url
    async with aiohttp.ClientSession() as http:
        bidder = await register(http, base)
        for host in (None, "evil.example"):
            _, issued = await challenge(http, base, bidder[0], host)
            assert issued["audience"] == CONFIGURED
        text = issued["challenge"]
        assert (await login(http, base, bidder, text, base))[0] == 401
        assert (await login(http, base, bidder, text, CONFIGURED))[0] == 200
    # The Python client talks to 127.0.0.1, not to the configured origin: it refuses.
    with pytest.raises(ClientError) as refused:
        await signed_in(base)
    assert refused.value.code == "audience_mismatch"


async def test_the_login_checks_the_audience_the_challenge_was_issued_with(
    hub_process: HubProcess,
) -> None:
    """Issued for http://localhost:PORT, signed for it, spent through 127.0.0.1: accepted."""
    base = hub_process.base_url
    async with aiohttp.ClientSession() as http:
        bidder = await register(http, base)
        local = f"localhost:{hub_process.port}"
        _, issued = await challenge(http, base, bidder[0], local)
        text = issued["challenge"]
        assert (await login(http, base, bidder, text, base))[0] == 401
        assert (await login(http, base, bidder, text, f"http://{local}"))[0] == 200
