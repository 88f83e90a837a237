"""Before the deadline nothing but the bidder itself learns who has bid or how many."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import asyncpg
import socketio
from hubtesting import HubApi, seal_bid

from hubprocess import HubProcess

CANARY_PRICE = "7364519.27"
CANARY_NAME = "金丝雀测试建设有限公司"


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
