"""The scheduler isolates a failure to its session: the hub starts and ticks every other one.

The faults are real: the database of a stopped hub is edited (a deadline of 9999-12-31 as an
older release stored it, and an event that no longer decodes), then the hub is started.
"""

from __future__ import annotations

import json
import sqlite3

import aiohttp
import pytest
from hubtesting import HubApi, wait_for_phase

from hubprocess import HubProcess


def _edit_first_event(db_path: str, session_id: str, edit: str) -> None:
    with sqlite3.connect(db_path) as db:
        (payload,) = db.execute(
            "SELECT payload FROM session_events WHERE session_id = ? AND seq = 1", (session_id,)
        ).fetchone()
        if edit == "far deadline":
            data = json.loads(payload)
            data["deadline"] = "9999-12-31T23:59:59.999999Z"
            payload = json.dumps(data, ensure_ascii=False)
        else:
            payload = "{broken"
        db.execute(
            "UPDATE session_events SET payload = ? WHERE session_id = ? AND seq = 1",
            (payload, session_id),
        )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_broken_session_is_flagged_and_the_others_tick(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, database_url: str
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    far = (await api.create_tender(deadline_in=3600))["id"]
    broken = (await api.create_tender(deadline_in=3600))["id"]
    due = (await api.create_tender(deadline_in=6))["id"]
    hub_process.stop()
    db_path = database_url.removeprefix("sqlite+aiosqlite:///")
    _edit_first_event(db_path, far, "far deadline")
    _edit_first_event(db_path, broken, "undecodable")

    hub_process.start()
    async with aiohttp.ClientSession(base_url=hub_process.base_url) as http:
        api = HubApi(http)
        await api.login_host(hub_process.host_user, hub_process.host_password)
        # No bid arrived: at its deadline the session stops (the tick ran).
        await wait_for_phase(api, due, "stopped")
        status, snap = await api.call("GET", f"/api/sessions/{far}", headers=api.host_auth)
    if status == 200:  # a hub that checks its log at load refuses to serve it instead
        assert snap["scheduler_fault"] == "deadline_out_of_range"
    log = hub_process.log_text()
    assert f"session {broken} could not be resumed" in log
    assert f"session {far}" in log
