"""A host of another organisation gets the public view of a tender, and can do nothing to it.

Real hub processes; the second organisation and its host are made by `bidopen admin`, as
an operator would. Between the deadline and the read-out the tender's host sees who bid;
the rival host must not, by any path: REST reads, the chained log, the `/host` socket,
commands, bid documents, the video publisher.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
import socketio
from admin_kit import admin
from hubtesting import HubApi, seal_bid, wait_for_phase

from hubprocess import HubProcess

RIVAL_PASSWORD = "rival-password-1"
COLLEAGUE_PASSWORD = "colleague-password-1"
CANARY_NAME = "金丝雀隔离测试有限公司"


async def _host_socket(hub: HubProcess, token: str, seen: list[Any]) -> socketio.AsyncClient:
    client = socketio.AsyncClient()
    client.on("*", lambda event, data: seen.append((event, data)), namespace="/host")
    await client.connect(
        hub.base_url, namespaces=["/host"], auth={"token": token}, transports=["websocket"]
    )
    return client


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_another_organisations_host_sees_the_public_view_and_can_do_nothing(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    admin(hub_process, "org", "add", "rival", "另一招标代理有限公司")
    admin(hub_process, "host", "add", "mallory", "--org", "rival", password=RIVAL_PASSWORD)
    admin(hub_process, "host", "add", "carol", "--org", "default", password=COLLEAGUE_PASSWORD)

    owner = HubApi(hub_client)
    await owner.login_host(hub_process.host_user, hub_process.host_password)
    rival = HubApi(hub_client)
    await rival.login_host("mallory", RIVAL_PASSWORD)
    colleague = HubApi(hub_client)
    await colleague.login_host("carol", COLLEAGUE_PASSWORD)

    canary = await owner.register(CANARY_NAME)  # before the deadline starts running
    tender = await owner.create_tender(deadline_in=3)
    tid = tender["id"]
    status, _ = await owner.upload(canary, tid, "1", seal_bid(canary, tid, "1", {"price": "1"}))
    assert status == 201
    snap = await wait_for_phase(owner, tid, "quorum_decision")
    assert [bid["bidder"] for bid in snap["view"]["bids"]] == [canary.id]

    _, me = await rival.call("GET", "/api/host/me", headers=rival.host_auth, expect=200)
    assert me["organisation"] == {"id": "rival", "name": "另一招标代理有限公司"}

    # Reads: the public view, the public events; the log and the documents are refused.
    seen: list[Any] = []
    view = await rival.snapshot(tid, rival.host_auth)
    assert view["role"] == "public" and "bids" not in view["view"]
    seen.append(view)
    seen.append(await rival.events(tid, auth=rival.host_auth))
    for path in (
        f"/api/sessions/{tid}/log",
        f"/api/tenders/{tid}/documents",
        f"/api/tenders/{tid}/documents/reads",
        f"/api/tenders/{tid}/lots/1/bids/{canary.id}/document",
    ):
        status, body = await rival.call("GET", path, headers=rival.host_auth)
        assert (status, body["error"]["code"]) == (403, "not_your_tender"), path
        seen.append(body)

    # Commands, including those the console sends at this phase, change nothing.
    for command, body in (
        ("decide_quorum", {"lot": "1", "choice": "continue", "reason": "继续"}),
        ("abort", {"reason": "恶意终止"}),
        ("pause", {"reason": "x"}),
    ):
        status, answer = await rival.host(tid, command, body, expect=None)
        assert (status, answer["error"]["code"]) == (403, "not_your_tender"), command
        seen.append(answer)
    assert (await owner.snapshot(tid, owner.host_auth))["seq"] == snap["seq"]

    # The video publisher: taking over, reading and stopping are refused before the offer.
    for method in ("POST", "GET", "DELETE"):
        status, body = await rival.call(
            method, f"/api/sessions/{tid}/video/publish", headers=rival.host_auth, json={}
        )
        assert (status, body["error"]["code"]) == (403, "not_your_tender"), method

    # The /host socket: join and catch-up refused; nothing of the room reaches it.
    received: list[Any] = []
    socket = await _host_socket(hub_process, rival.host_token, received)
    try:
        joined = await socket.call("join", {"session_id": tid}, namespace="/host", timeout=10)
        caught = await socket.call(
            "catch_up", {"session_id": tid, "after": 0}, namespace="/host", timeout=10
        )
        assert joined["error"]["code"] == caught["error"]["code"] == "not_your_tender"
        # A colleague of the tender's organisation runs it: an event the room receives.
        await colleague.host(
            tid, "decide_quorum", {"lot": "1", "choice": "continue", "reason": "继续"}
        )
        await asyncio.sleep(1.0)
    finally:
        await socket.disconnect()
    assert not [event for event, _ in received if event == "event"]
    seen.extend([joined, caught, *received])

    leaked = json.dumps(seen, ensure_ascii=False)
    assert canary.id not in leaked and CANARY_NAME not in leaked

    # The colleague, same organisation, reads the whole log; the owner's tender list and
    # the rival's are their own.
    _, log = await colleague.call(
        "GET", f"/api/sessions/{tid}/log", headers=colleague.host_auth, expect=200
    )
    assert log["events"][-1]["kind"] == "quorum_decided"
    _, mine = await rival.call("GET", "/api/tenders?organisation=rival", expect=200)
    assert mine["tenders"] == []
    _, theirs = await rival.call("GET", "/api/tenders?organisation=default", expect=200)
    assert [t["id"] for t in theirs["tenders"]] == [tid]


async def test_no_account_name_reaches_the_public(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    """The public sees the tender's organisation, never the login name that scheduled it."""
    admin(hub_process, "org", "rename", "default", "某市公共资源交易中心")
    owner = HubApi(hub_client)
    await owner.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await owner.create_tender(deadline_in=3600))["id"]

    public: list[Any] = [
        await owner.snapshot(tid),
        await owner.events(tid),
        (await owner.call("GET", f"/api/tenders/{tid}", expect=200))[1],
        (await owner.call("GET", "/api/tenders", expect=200))[1],
    ]
    seen: list[Any] = []
    viewer = socketio.AsyncClient()
    viewer.on("*", lambda event, data: seen.append((event, data)), namespace="/public")
    await viewer.connect(
        hub_process.base_url,
        namespaces=["/public"],
        auth={"session_id": tid},
        transports=["websocket"],
    )
    try:
        await owner.host(
            tid, "reschedule", {"deadline": public[2]["deadline"], "reason": "x"}, expect=None
        )
        await asyncio.sleep(0.5)
    finally:
        await viewer.disconnect()
    public.extend(seen)

    text = json.dumps(public, ensure_ascii=False)
    assert hub_process.host_user not in text
    assert public[0]["view"]["organisation"] == {"id": "default", "name": "某市公共资源交易中心"}
    assert public[2]["organisation"]["name"] == "某市公共资源交易中心"
    scheduled = public[1][0]
    assert scheduled["kind"] == "session_scheduled" and "host" not in scheduled["data"]

    # The tender's own host still receives the whole event, account included.
    host_events = await owner.events(tid, auth=owner.host_auth)
    assert host_events[0]["data"]["host"] == hub_process.host_user


async def test_a_disabled_host_is_out_at_once(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    admin(hub_process, "host", "add", "temp", "--org", "default", password=RIVAL_PASSWORD)
    api = HubApi(hub_client)
    await api.login_host("temp", RIVAL_PASSWORD)
    await api.call("GET", "/api/host/me", headers=api.host_auth, expect=200)

    admin(hub_process, "host", "disable", "temp")

    status, body = await api.call("GET", "/api/host/me", headers=api.host_auth)
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
    status, body = await api.call(
        "POST", "/api/host/login", json={"username": "temp", "password": RIVAL_PASSWORD}
    )
    assert (status, body["error"]["code"]) == (401, "login_failed")


async def test_the_bootstrap_setting_makes_the_first_account_only(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    """A later start with another BIDOPEN_BOOTSTRAP_HOST makes no second account."""
    hub_process.stop()
    hub_process.extra_env["BIDOPEN_BOOTSTRAP_HOST"] = "second:second-password-1"
    hub_process.start()
    api = HubApi(hub_client)
    status, body = await api.call(
        "POST", "/api/host/login", json={"username": "second", "password": "second-password-1"}
    )
    assert (status, body["error"]["code"]) == (401, "login_failed")
    await api.login_host(hub_process.host_user, hub_process.host_password)
    listed = admin(hub_process, "host", "list")
    assert [h["username"] for h in json.loads(listed.stdout)] == [hub_process.host_user]
