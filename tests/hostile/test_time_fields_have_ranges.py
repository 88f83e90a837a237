"""Every instant a host sends has a documented range, checked before anything is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from deadline_kit import error_code
from hubtesting import HubApi, iso, parse_iso

from hubprocess import HubProcess


def _tender(deadline: str, **extra: object) -> dict[str, object]:
    return {
        "title": "远期截止测试工程",
        "lots": [{"id": "1", "name": "标段1"}],
        "deadline": deadline,
        **extra,
    }


FAR = iso(datetime.now(UTC) + timedelta(days=400))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "body",
    [
        _tender("9999-12-31T23:59:59Z"),
        _tender("9999-12-31T23:00:00-08:00"),
        _tender("0001-01-01T00:00:00+08:00"),
        _tender(FAR),
        _tender(iso(datetime.now(UTC) + timedelta(days=1)), signin_opens_at="0001-01-01T00:00:00Z"),
    ],
    ids=["year-9999", "past-year-9999-by-offset", "year-1", "400-days", "signin-year-1"],
)
async def test_an_instant_out_of_range_is_refused_and_nothing_is_stored(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, body: dict[str, object]
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    status, answer = await api.call("POST", "/api/tenders", headers=api.host_auth, json=body)
    assert (status, error_code(answer)) == (422, "validation_failed"), answer
    _, listed = await api.call("GET", "/api/tenders", expect=200)
    assert listed["tenders"] == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_deadline_moved_out_of_range_is_refused_and_the_hub_restarts(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tender = await api.create_tender(deadline_in=600)
    for deadline in ("9999-12-31T23:59:59Z", FAR):
        status, answer = await api.host(
            tender["id"], "reschedule", {"deadline": deadline, "reason": "延期"}, expect=None
        )
        assert (status, error_code(answer)) == (422, "validation_failed"), answer
    _, described = await api.call("GET", f"/api/tenders/{tender['id']}", expect=200)
    assert parse_iso(described["deadline"]) == parse_iso(tender["deadline"])
    hub_process.stop()
    hub_process.start()
    async with aiohttp.ClientSession(base_url=hub_process.base_url) as http:
        await HubApi(http).call("GET", f"/api/tenders/{tender['id']}", expect=200)
