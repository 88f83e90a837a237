"""Request limits key on the identity that authenticated; failed credentials are anonymous."""

from __future__ import annotations

import aiohttp
import pytest
from deadline_kit import error_code
from hubtesting import HubApi

from hubprocess import HubProcess


@pytest.fixture
def hub_env() -> dict[str, str]:
    # Bursts: 10 anonymous requests, 12 sign-in requests per address; an anonymous request
    # comes back every 10 s, so a spent budget stays spent while a loaded machine runs the test.
    return {
        "BIDOPEN_PUBLIC_REQUESTS_PER_MINUTE": "6",
        "BIDOPEN_SIGNIN_REQUESTS_PER_MINUTE": "12",
    }


async def _codes(api: HubApi, method: str, path: str, n: int, headers: dict[str, str]) -> list:
    codes = []
    for _ in range(n):
        status, body = await api.call(method, path, headers=headers, json={})
        codes.append((status, error_code(body)))
    return codes


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "authorization", ["Basic aG9zdDE6aG9zdC1wYXNzd29yZC0x", "Bearer not-a-valid-token"]
)
async def test_a_header_that_does_not_authenticate_is_anonymous(
    hub_client: aiohttp.ClientSession, authorization: str
) -> None:
    api = HubApi(hub_client)
    codes = await _codes(api, "GET", "/api/tenders", 14, {"Authorization": authorization})
    assert (429, "rate_limited") in codes, codes
    # Registration keeps its own (sign-in) budget, spent by the same header all the same.
    codes = await _codes(api, "POST", "/api/bidders", 14, {"Authorization": authorization})
    assert codes[-1] == (429, "rate_limited"), codes


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_signed_in_account_has_its_own_budget(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    # The anonymous budget of this address is spent...
    codes = await _codes(api, "GET", "/api/tenders", 14, {})
    assert codes[-1] == (429, "rate_limited")
    # ...and the host, from the same address, is not held back by it.
    codes = await _codes(api, "GET", "/api/tenders", 30, api.host_auth)
    assert {status for status, _ in codes} == {200}
    async with api.http.get("/api/tenders") as response:
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
