"""Every kind of bad input gets one clear error and changes nothing."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from hubtesting import Bidder, HubApi, seal_bid

from bidseal import generate_keys, sign_challenge
from hubprocess import HubProcess

MAX_BID = 16 * 1024


@pytest.fixture
def hub_env() -> dict[str, str]:
    return {
        "BIDOPEN_MAX_BID_BYTES": str(MAX_BID),
        "BIDOPEN_ALLOWED_ORIGINS": "https://screen.example.org",
        "BIDOPEN_PUBLIC_MAX_MESSAGE_BYTES": "256",
    }


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert set(body) == {"error"}
    assert set(body["error"]) - {"field"} == {"code", "message", "message_zh"}
    assert body["error"]["code"] == code
    assert body["error"]["message"] and body["error"]["message_zh"]


def kept_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "bids").rglob("*") if p.is_file()]


async def test_bad_uploads_leave_nothing(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender(lots=("1", "2")))["id"]
    bidder, other = await api.register("甲"), await api.register("乙")
    good = seal_bid(bidder, tid, "1", {"price": "1.00", "duration_days": "1"})
    tampered = bytearray(good)
    tampered[len(good) // 2] ^= 0x01
    for_lot_2 = seal_bid(bidder, tid, "2", {"price": "1.00", "duration_days": "1"})
    # Sealed in this bidder's name but signed with someone else's key.
    impostor = seal_bid(Bidder(bidder.id, "x", generate_keys()), tid, "1", {"price": "1.00"})
    cases = [
        (b"not a sealed bid at all" * 10, 422, "invalid_sealed_bid"),
        (bytes(tampered), 422, "invalid_sealed_bid"),
        (good[:-10], 422, "invalid_sealed_bid"),
        (for_lot_2, 422, "bid_context_mismatch"),
        (impostor, 422, "signer_key_mismatch"),
        (
            seal_bid(bidder, tid, "1", {"price": "1"}, secrets.token_bytes(MAX_BID)),
            413,
            "bid_too_large",
        ),
    ]
    for body, status_, code in cases:
        status, answer = await api.upload(bidder, tid, "1", body)
        assert_error(status, answer, status_, code)
    # Another bidder's token cannot file this bidder's sealed file either.
    assert_error(*await api.upload(other, tid, "1", good), 422, "bid_context_mismatch")
    assert_error(*await api.upload(bidder, tid, "9", good), 404, "lot_not_found")
    status, answer = await api.call("PUT", f"/api/tenders/{tid}/lots/1/bid", data=good)
    assert_error(status, answer, 401, "unauthenticated")
    assert kept_files(hub_process.data_dir) == []
    _, mine = await api.call(
        "GET", f"/api/tenders/{tid}/bids/mine", headers=bidder.auth, expect=200
    )
    assert mine["bids"] == []
    assert [e["kind"] for e in await api.events(tid, auth=api.host_auth)] == ["session_scheduled"]
    # The good file still goes in afterwards.
    assert (await api.upload(bidder, tid, "1", good))[0] == 201


async def test_bad_requests(hub_process: HubProcess, hub_client: aiohttp.ClientSession) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender())["id"]
    bidder = await api.register("甲", login=False)
    _, challenge = await api.call("POST", f"/api/bidders/{bidder.id}/challenge", expect=200)
    signature = sign_challenge(bidder.keys, challenge["challenge"], challenge["audience"])
    login = {"challenge": challenge["challenge"], "signature": signature}
    await api.call("POST", f"/api/bidders/{bidder.id}/login", json=login, expect=200)
    # The same signed challenge a second time: refused.
    assert_error(
        *await api.call("POST", f"/api/bidders/{bidder.id}/login", json=login),
        401,
        "challenge_invalid",
    )
    forged = sign_challenge(generate_keys(), challenge["challenge"], challenge["audience"])
    assert_error(
        *await api.call(
            "POST", f"/api/bidders/{bidder.id}/login", json={**login, "signature": forged}
        ),
        401,
        "signature_invalid",
    )
    await api.login_bidder(bidder)
    # A bidder calling a host command, a host calling a bidder command.
    status, body = await api.call(
        "POST", f"/api/sessions/{tid}/host/abort", headers=bidder.auth, json={"reason": "我想中止"}
    )
    assert_error(status, body, 403, "forbidden")
    status, body = await api.call(
        "POST", f"/api/sessions/{tid}/bidder/confirm", headers=api.host_auth, json={}
    )
    assert_error(status, body, 403, "forbidden")
    assert_error(
        *await api.call(
            "POST", "/api/host/login", json={"username": hub_process.host_user, "password": "nope"}
        ),
        401,
        "login_failed",
    )
    assert_error(
        *await api.call(
            "POST",
            "/api/tenders",
            headers={**api.host_auth, "Content-Type": "application/json"},
            data=b"{not json",
        ),
        400,
        "bad_request",
    )
    assert_error(
        *await api.call(
            "POST",
            "/api/tenders",
            headers=api.host_auth,
            json={"title": "x" * 10, "lots": [], "deadline": "soon"},
        ),
        422,
        "validation_failed",
    )
    assert_error(
        *await api.call(
            "POST",
            "/api/tenders",
            headers={**api.host_auth, "Content-Type": "application/json"},
            data=b"[" * (300 * 1024),
        ),
        413,
        "message_too_large",
    )
    assert_error(*await api.call("GET", "/api/tenders/ZB-1999-000001"), 404, "tender_not_found")
    assert_error(*await api.call("GET", "/api/nothing-here"), 404, "not_found")
    key = {"data_key": "AAAA"}
    assert_error(
        *await api.call(
            "POST", f"/api/tenders/{tid}/lots/1/data-key", headers=bidder.auth, json=key
        ),
        422,
        "validation_failed",
    )
    assert [e["kind"] for e in await api.events(tid, auth=api.host_auth)] == ["session_scheduled"]


async def test_socket_refusals(hub_process: HubProcess, hub_client: aiohttp.ClientSession) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender())["id"]
    bidder = await api.register("甲")
    url = hub_process.base_url

    foreign = socketio.AsyncClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await foreign.connect(
            url,
            namespaces=["/public"],
            auth={"session_id": tid},
            headers={"Origin": "https://evil.example"},
            transports=["websocket"],
        )
    allowed = socketio.AsyncClient()
    await allowed.connect(
        url,
        namespaces=["/public"],
        auth={"session_id": tid},
        headers={"Origin": "https://screen.example.org"},
        transports=["websocket"],
    )
    await allowed.disconnect()

    wrong_role = socketio.AsyncClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await wrong_role.connect(
            url,
            namespaces=["/host"],
            auth={"token": bidder.token},
            transports=["websocket"],
            wait_timeout=5,
        )

    bidder_socket = socketio.AsyncClient()
    await bidder_socket.connect(
        url, namespaces=["/bidder"], auth={"token": bidder.token}, transports=["websocket"]
    )
    answer = await bidder_socket.call("start_decryption", {"session_id": tid}, namespace="/bidder")
    assert answer["error"]["code"] == "not_found"
    await bidder_socket.disconnect()

    public = socketio.AsyncClient()
    await public.connect(
        url, namespaces=["/public"], auth={"session_id": tid}, transports=["websocket"]
    )
    answer = await public.call("join", {"session_id": tid}, namespace="/public")
    assert answer["error"]["code"] == "read_only"
    await public.emit("anything", {"blob": "x" * 1024}, namespace="/public")
    for _ in range(50):
        if not public.connected:
            break
        await asyncio.sleep(0.1)
    assert not public.connected, "an oversize public message closes the socket"
    assert [e["kind"] for e in await api.events(tid, auth=api.host_auth)] == ["session_scheduled"]


async def test_foreign_origin_http_handshake(hub_process: HubProcess) -> None:
    """The refusal happens at the Engine.IO handshake itself, before any namespace."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{hub_process.base_url}/socket.io/?EIO=4&transport=polling",
            headers={"Origin": "https://evil.example"},
        ) as response,
    ):
        assert response.status == 400


async def test_anonymous_requests_are_rate_limited(tmp_path: Path) -> None:
    hub = HubProcess(
        tmp_path / "data",
        f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bidopen.db'}",
        tmp_path / "hub.log",
        extra_env={"BIDOPEN_PUBLIC_REQUESTS_PER_MINUTE": "60"},
    )
    hub.start()
    try:
        async with aiohttp.ClientSession(base_url=hub.base_url) as http:
            api = HubApi(http)
            await api.login_host(hub.host_user, hub.host_password)
            # The burst is 10 requests; the start-up probe and the login took two of them.
            answers = [await api.call("GET", "/api/tenders") for _ in range(12)]
            refused = [answer for answer in answers if answer[0] != 200]
            assert refused, "a burst beyond the limit is refused"
            assert_error(*refused[0], 429, "rate_limited")
            # A caller with a token is not counted against the address.
            await api.call("GET", "/api/tenders", headers=api.host_auth, expect=200)
    finally:
        hub.stop()
