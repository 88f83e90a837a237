"""Before the deadline nothing but the bidder itself learns who has bid or how many."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import asyncpg
import socketio
from hubtesting import Bidder, HubApi, data_key_of, seal_bid, wait_for_phase

from hubprocess import HubProcess

CANARY_PRICE = "7364519.27"
CANARY_NAME = "金丝雀测试建设有限公司"
OTHERS = ("甲建设集团有限公司", "乙路桥工程有限公司")
OBJECTION = "解密页面长时间无响应，请核查"
ANSWER = "已核查，平台运行正常，请刷新后重试"


async def database_text(database_url: str) -> str:
    """Every row of every table except the bidder registry, as text."""
    if database_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(database_url.split("///", 1)[1])
        try:
            query = "SELECT name FROM sqlite_master WHERE type='table'"
            tables = [r[0] for r in conn.execute(query)]
            rows = [
                repr(row)
                for t in tables
                if t != "bidders"
                for row in conn.execute(f'SELECT * FROM "{t}"')
            ]
        finally:
            conn.close()
        return "\n".join(rows)
    pg = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tables = [
            r["tablename"]
            for r in await pg.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        rows = [
            repr(dict(r))
            for t in tables
            if t != "bidders"
            for r in await pg.fetch(f'SELECT * FROM "{t}"')
        ]
    finally:
        await pg.close()
    return "\n".join(rows)


async def test_nothing_leaks_before_the_deadline(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tender = await api.create_tender(deadline_in=3600)
    tid = tender["id"]
    seen: list[Any] = []

    public = socketio.AsyncClient()
    public.on("*", lambda event, data: seen.append((event, data)), namespace="/public")
    await public.connect(
        hub_process.base_url,
        namespaces=["/public"],
        auth={"session_id": tid},
        transports=["websocket"],
    )
    host = socketio.AsyncClient()
    host.on("*", lambda event, data: seen.append((event, data)), namespace="/host")
    await host.connect(
        hub_process.base_url,
        namespaces=["/host"],
        auth={"token": api.host_token},
        transports=["websocket"],
    )
    seen.append(await host.call("join", {"session_id": tid}, namespace="/host"))

    canary = await api.register(CANARY_NAME)
    sealed = seal_bid(canary, tid, "1", {"price": CANARY_PRICE, "duration_days": "365"})
    status, _ = await api.upload(canary, tid, "1", sealed)
    assert status == 201
    await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=canary.auth, expect=200)
    await api.call("GET", f"/api/tenders/{tid}/bids/mine", headers=canary.auth, expect=200)

    # Everything anyone but the canary can read.
    for auth in ({}, api.host_auth):
        seen.append(await api.snapshot(tid, auth))
        seen.append(await api.events(tid, auth=auth))
        seen.append((await api.call("GET", f"/api/tenders/{tid}", headers=auth))[1])
        seen.append((await api.call("GET", "/api/tenders", headers=auth))[1])
    seen.append((await api.call("GET", f"/api/sessions/{tid}/log", headers=api.host_auth))[1])
    seen.append(await host.call("catch_up", {"session_id": tid, "after": 0}, namespace="/host"))
    await asyncio.sleep(0.3)
    await public.disconnect()
    await host.disconnect()

    visible = json.dumps(seen, ensure_ascii=False)
    for secret in (CANARY_PRICE, CANARY_NAME, canary.id):
        assert secret not in visible
    assert '"bids"' not in visible and "signed_in" not in visible.replace("signed_in_count", "")
    log = hub_process.log_text()
    for secret in (CANARY_PRICE, CANARY_NAME, '/bid"', "/bid ", "bids/mine", "sign-in"):
        assert secret not in log, f"{secret!r} in the server log"
    # Sign-ins to the platform are logged, but no line ties the bidder to the tender.
    assert not [line for line in log.splitlines() if canary.id in line and tid in line]
    stored = await database_text(hub_process.database_url)
    assert CANARY_PRICE not in stored and CANARY_NAME not in stored
    # The sealed file on disk holds the price only encrypted.
    files = [p for p in (hub_process.data_dir / "bids").rglob("*.bid")]
    assert len(files) == 1 and CANARY_PRICE.encode() not in files[0].read_bytes()


async def _socket(hub: HubProcess, namespace: str, auth: dict[str, str]) -> socketio.AsyncClient:
    client = socketio.AsyncClient()
    await client.connect(hub.base_url, namespaces=[namespace], auth=auth, transports=["websocket"])
    return client


async def _until_seq(messages: list[dict[str, Any]], seq: int) -> None:
    """Wait until the socket has delivered the event `seq` (delivery is not instant)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 20
    while not any(m["seq"] >= seq for m in messages):
        assert loop.time() < end, f"event {seq} never arrived"
        await asyncio.sleep(0.1)


async def test_names_reach_others_only_with_the_read_out(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    # Registered first: only sealing and uploading have to fit before the deadline.
    canary = await api.register(CANARY_NAME)
    other, third = [await api.register(name) for name in OTHERS]
    tid = (await api.create_tender(deadline_in=3))["id"]
    everyone: list[Bidder] = [canary, other, third]
    sealed: dict[str, bytes] = {}
    for i, bidder in enumerate(everyone):
        sealed[bidder.id] = seal_bid(bidder, tid, "1", {"price": f"{i + 1}00.00"})
        assert (await api.upload(bidder, tid, "1", sealed[bidder.id]))[0] == 201

    # The hall and another bidder listen from before the deadline to the record.
    heard: dict[str, list[dict[str, Any]]] = {"public": [], "bidder": []}
    public = await _socket(hub_process, "/public", {"session_id": tid})
    public.on("event", heard["public"].append, namespace="/public")
    listener = await _socket(hub_process, "/bidder", {"token": other.token})
    listener.on("event", heard["bidder"].append, namespace="/bidder")
    await listener.call("join", {"session_id": tid}, namespace="/bidder")

    host = await wait_for_phase(api, tid, "opening")
    # From the deadline on the host sees who bid, by name.
    assert host["view"]["bidder_names"] == {b.id: b.name for b in everyone}
    assert {b["bidder"]: b["bidder_name"] for b in host["view"]["bids"]} == {
        b.id: b.name for b in everyone
    }
    await api.host(tid, "start_decryption")
    for bidder in everyone:
        await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
    _, raised = await api.object(tid, canary, OBJECTION, "1")
    assert [m["data"]["text"] for m in raised["events"]] == [OBJECTION]
    await api.host(tid, "answer_objection", {"objection_id": "O1", "text": ANSWER})

    # Before the read-out: objections and answers are public text, the objector is not.
    public_snap = (await api.snapshot(tid))["view"]
    assert [(o["id"], o["text"], o["answer"]) for o in public_snap["objections"]] == [
        ("O1", OBJECTION, ANSWER)
    ]
    # Others are named neither to the hall nor to a bidder, who sees only its own name.
    secrets_of = {
        "public": (CANARY_NAME, canary.id, other.name, other.id, third.name, third.id),
        "bidder": (CANARY_NAME, canary.id, third.name, third.id),
    }
    before = {
        "public": [public_snap, await api.events(tid)],
        "bidder": [await api.snapshot(tid, other.auth), await api.events(tid, auth=other.auth)],
    }
    for role, seen in before.items():
        text = json.dumps(seen, ensure_ascii=False)
        assert OBJECTION in text and ANSWER in text
        for secret in secrets_of[role]:
            assert secret not in text, (role, secret)

    for bidder in everyone:
        await api.call(
            "POST",
            f"/api/tenders/{tid}/lots/1/data-key",
            headers=bidder.auth,
            json={"data_key": data_key_of(bidder, sealed[bidder.id], tid, "1")},
            expect=200,
        )
    await api.host(tid, "close_decryption")
    await wait_for_phase(api, tid, "confirmation")
    # After the read-out a new objection names its bidder to everyone.
    _, later = await api.object(tid, third, "报价读错")
    last_seq = later["seq"]

    after = (await api.snapshot(tid))["view"]
    assert after["bidder_names"] == {b.id: b.name for b in everyone}
    lines = after["readout"][0]["lines"]
    assert {line["bidder"]: line["bidder_name"] for line in lines} == after["bidder_names"]
    assert [(o["id"], o.get("bidder"), o.get("bidder_name")) for o in after["objections"]] == [
        ("O1", canary.id, CANARY_NAME),
        ("O2", third.id, third.name),
    ]
    raised_events = [m for m in await api.events(tid) if m["kind"] == "objection_raised"]
    # The event logged before the read-out stays as it was sent; the later one names.
    assert [m["data"] for m in raised_events] == [
        {"at": raised_events[0]["data"]["at"], "objection_id": "O1", "lot": "1", "text": OBJECTION},
        {
            "at": raised_events[1]["data"]["at"],
            "objection_id": "O2",
            "lot": None,
            "text": "报价读错",
            "bidder": third.id,
            "bidder_name": third.name,
        },
    ]

    for role, messages in heard.items():
        await _until_seq(messages, last_seq)
        read_out = next(m for m in messages if m["kind"] == "read_out")
        # The close of decryption (statuses by bidder) is committed with the read-out, at once.
        closed = next(m for m in messages if m["kind"] == "decryption_closed")
        assert closed["seq"] == read_out["seq"] - 1
        early = json.dumps([m for m in messages if m["seq"] < closed["seq"]], ensure_ascii=False)
        for secret in secrets_of[role]:
            assert secret not in early, (role, secret)
        assert OBJECTION in early and ANSWER in early, role
        assert CANARY_NAME in json.dumps(read_out, ensure_ascii=False), role
    await public.disconnect()
    await listener.disconnect()
