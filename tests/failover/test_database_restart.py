"""PostgreSQL restarted under a node during a decryption window: requests are refused with
503 `database_unavailable` while it is down (never a 500 without a code), succeed after, the
scheduler resumes on its own, and the outage is in the session as a platform fault."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from failover_kit import HubProcess, OwnPostgres, get_json, metric, node, until
from hubtesting import HubApi, seal_bid, wait_for_phase

pytestmark = [pytest.mark.slow]


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    pg = OwnPostgres()
    try:
        pg.init()
        yield pg
        pg.stop()
    finally:
        pg.remove()


async def test_a_database_restart_is_a_clear_refusal_then_a_recorded_fault(
    tmp_path: Path, own_postgres: OwnPostgres
) -> None:
    hub = node(tmp_path, "a", own_postgres.url, {})
    hub.start()
    try:
        await _restart_during_decryption(hub, own_postgres)
    finally:
        hub.stop()
    assert "Traceback" not in hub.log_text().split("the database is reachable again")[-1]


async def _restart_during_decryption(hub: HubProcess, pg: OwnPostgres) -> None:
    async with aiohttp.ClientSession(base_url=hub.base_url) as http:
        api = HubApi(http)
        await api.login_host(hub.host_user, hub.host_password)
        # Registered first: only sealing and uploading have to fit before the deadline.
        names = ("甲建设集团有限公司", "乙工程有限公司", "丙市政有限公司")
        registered = [await api.register(name) for name in names]
        tid = (await api.create_tender(deadline_in=2.5))["id"]
        for bidder in registered:
            sealed = seal_bid(bidder, tid, "1", {"price": "1000000.00"})
            assert (await api.upload(bidder, tid, "1", sealed))[0] == 201
        await wait_for_phase(api, tid, "opening")
        await api.host(tid, "start_decryption")
        # A second session whose deadline passes while the database is down.
        later = (await api.create_tender(deadline_in=3))["id"]

        pg.stop()
        status, body = await api.call("GET", f"/api/sessions/{tid}")
        assert (status, body["error"]["code"]) == (503, "database_unavailable")
        assert get_json(f"{hub.base_url}/healthz")[0] == 200
        status, ready = get_json(f"{hub.base_url}/readyz")
        assert status == 503 and ready["checks"]["database"]["ok"] is False
        await asyncio.sleep(4)
        status, body = await api.host(tid, "pause", {"reason": "网络故障"}, expect=None)
        assert (status, body["error"]["code"]) == (503, "database_unavailable")
        pg.start()

        await until(lambda: get_json(f"{hub.base_url}/readyz")[0] == 200, 10, "ready again")

        async def fault_recorded() -> bool:
            return bool((await api.snapshot(tid, api.host_auth))["view"]["platform_faults"])

        await until(fault_recorded, 10, "the platform fault")
        view = (await api.snapshot(tid, api.host_auth))["view"]
        assert len(view["platform_faults"]) == 1
        assert "Platform outage" in view["platform_faults"][0]["reason"]

        # The scheduler resumed: the deadline that passed during the outage is ticked.
        async def ticked() -> bool:
            return (await api.snapshot(later, api.host_auth))["view"]["phase"] != "scheduled"

        await until(ticked, 10, "the tick of the deadline passed during the outage")
    assert metric(hub.base_url, "bidopen_database_errors_total") > 0
