"""No line the hub prints names a bidder: access log, errors, tracebacks, warnings, DEBUG.

A canary bidder goes through everything a bidder does before the deadline, the refusals
too, and through a real fault: a database trigger makes storing its bid fail with an error
that repeats its id, as drivers do, so the hub logs a traceback. Then everything the hub
process printed (stdout and stderr, at DEBUG) is read, and must name the canary nowhere.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

import aiohttp
import asyncpg
import pytest
import socketio
from hubtesting import HubApi, seal_bid
from sqlalchemy.engine import make_url

from bidseal import generate_keys, sign_challenge
from hubprocess import HubProcess

CANARY_NAME = "金丝雀日志测试有限公司"
CANARY_CONTACT = "金丝雀联系人 13900000000"
FAULT = "simulated storage fault for"


@pytest.fixture
def hub_env() -> dict[str, str]:
    """The access log on (it is off by default): its lines must not name a bidder either."""
    return {"BIDOPEN_ACCESS_LOG": "-"}


def _add_fault(database_url: str) -> Any:
    """A trigger that fails the insert of any bid.

    On PostgreSQL its message names the bidder, as drivers' messages repeat values; on
    SQLite (whose RAISE takes no expression) the failing statement's parameters do, which
    the error would print unless they are hidden.
    """
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(database_url).database or "")
        conn.execute(
            "CREATE TRIGGER canary_fault BEFORE INSERT ON bids BEGIN "
            f"SELECT RAISE(ABORT, '{FAULT} a bidder'); END"
        )
        conn.commit()
        conn.close()
        return None

    async def on_postgres() -> None:
        url = database_url.replace("postgresql+asyncpg", "postgresql")
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "CREATE FUNCTION canary_fault() RETURNS trigger AS $$ BEGIN "
                f"RAISE EXCEPTION '{FAULT} %', NEW.bidder_id; END $$ LANGUAGE plpgsql"
            )
            await conn.execute(
                "CREATE TRIGGER canary_fault BEFORE INSERT ON bids "
                "FOR EACH ROW EXECUTE FUNCTION canary_fault()"
            )
        finally:
            await conn.close()

    return on_postgres()


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_no_log_line_names_a_bidder(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender(deadline_in=3600, lots=("1", "2")))["id"]

    keys = generate_keys()
    registration = {
        "org_name": CANARY_NAME,
        "contact": CANARY_CONTACT,
        "public_bundle": json.loads(keys.public.to_json()),
    }
    _, body = await api.call("POST", "/api/bidders", json=registration, expect=201)
    canary = await api.register("金丝雀的竞争对手有限公司", login=False)
    canary.id, canary.name, canary.keys = body["bidder_id"], CANARY_NAME, keys
    bid = f"/api/tenders/{tid}/lots/1/bid"

    # Refusals around registration and sign-in, each with the canary's name or id.
    await api.call("POST", "/api/bidders", json=registration, expect=409)  # key taken
    look_alike = {**registration, "org_name": CANARY_NAME.replace("有限", "有 限")}
    await api.call("POST", "/api/bidders", json=look_alike, expect=409)
    hidden = {**registration, "org_name": CANARY_NAME + "\u200b"}
    await api.call("POST", "/api/bidders", json=hidden, expect=422)
    _, challenge = await api.call("POST", f"/api/bidders/{canary.id}/challenge", expect=200)
    wrong = sign_challenge(generate_keys(), challenge["challenge"], challenge["audience"])
    await api.call(
        "POST",
        f"/api/bidders/{canary.id}/login",
        json={"challenge": challenge["challenge"], "signature": wrong},
        expect=401,
    )
    await api.call(
        "POST",
        f"/api/bidders/{canary.id}/login",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        expect=400,
    )
    await api.login_bidder(canary)
    await api.call("GET", "/api/bidders/me", headers=canary.auth, expect=200)

    # Bids: accepted, replaced, refused in every way a bidder can be refused, withdrawn.
    sealed = seal_bid(canary, tid, "1", {"price": "1.00"})
    assert (await api.upload(canary, tid, "1", sealed))[0] == 201
    assert (await api.upload(canary, tid, "1", seal_bid(canary, tid, "1", {"price": "2"})))[
        0
    ] == 201
    assert (await api.upload(canary, tid, "1", b"not a sealed bid"))[0] == 422
    assert (await api.upload(canary, tid, "2", sealed))[0] == 422  # sealed for lot 1
    assert (await api.upload(canary, tid, "9", sealed))[0] == 404
    await api.call("GET", f"/api/tenders/{tid}/bids/mine", headers=canary.auth, expect=200)
    await api.call("GET", bid, headers=canary.auth, expect=200)
    await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=canary.auth, expect=200)
    await api.call("DELETE", bid, headers=canary.auth, expect=200)
    await api.call("DELETE", bid, headers=canary.auth, expect=404)

    # The bidder's socket, and a message it may not send.
    socket = socketio.AsyncClient()
    await socket.connect(
        hub_process.base_url,
        namespaces=["/bidder"],
        auth={"token": canary.token},
        transports=["websocket"],
    )
    await socket.call("join", {"session_id": tid}, namespace="/bidder", timeout=10)
    await socket.call("shout", {"who": canary.id}, namespace="/bidder", timeout=10)
    await socket.disconnect()

    # A real fault while storing the bid: the hub answers 500 and logs a traceback.
    fault = _add_fault(hub_process.database_url)
    if fault is not None:
        await fault
    status, body = await api.upload(canary, tid, "1", sealed)
    assert (status, body["error"]["code"]) == (500, "internal_error")
    await asyncio.sleep(0.3)
    hub_process.stop()

    printed = hub_process.log_text()
    # The fault and its traceback are there for the operator, without the name in them.
    assert "Traceback" in printed and FAULT in printed
    if not hub_process.database_url.startswith("sqlite"):
        assert f"{FAULT} [bidder]" in printed
    assert "/api/bidders/[bidder]/challenge" in printed
    for secret in (canary.id, CANARY_NAME, CANARY_CONTACT, "金丝雀"):
        assert secret not in printed, f"{secret!r} in what the hub printed"
