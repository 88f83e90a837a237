"""Failed host sign-ins are throttled per address and per (address, account), 429 + Retry-After.

The real host, signing in from its own address during the flood, is never locked out.
"""

from __future__ import annotations

import aiohttp
import pytest
from deadline_kit import error_code, via_proxy
from hubtesting import HubApi

from hubprocess import HubProcess


@pytest.fixture
def hub_env() -> dict[str, str]:
    return {
        "BIDOPEN_TRUSTED_PROXIES": "127.0.0.1/32",
        "BIDOPEN_LOGIN_FAILURES_PER_MINUTE": "8",
        "BIDOPEN_LOGIN_FAILURES_PER_ACCOUNT_PER_MINUTE": "3",
    }


async def _login(api: HubApi, address: str, user: str, password: str) -> tuple[int, object, str]:
    async with api.http.post(
        "/api/host/login",
        json={"username": user, "password": password},
        headers=via_proxy(address),
    ) as response:
        return response.status, await response.json(), response.headers.get("Retry-After", "")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_guesses_are_throttled_and_the_host_still_signs_in(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    user, password = hub_process.host_user, hub_process.host_password
    attacker = "203.0.113.66"
    answers = [await _login(api, attacker, user, f"guess-{n}") for n in range(4)]
    assert [a[0] for a in answers[:3]] == [401, 401, 401]
    status, body, retry_after = answers[3]
    assert status == 429 and error_code(body) == "login_throttled"
    assert int(retry_after) >= 1
    # Even the right password waits from the throttled address: the guesser cannot tell.
    assert (await _login(api, attacker, user, password))[0] == 429
    # The host, from its own address, signs in at once.
    assert (await _login(api, "198.51.100.7", user, password))[0] == 200
    # Other account names from the attacker's address spend its address budget (8).
    statuses = [(await _login(api, attacker, f"user{n}", "x"))[0] for n in range(8)]
    assert statuses[-1] == 429 and 401 in statuses
    assert (await _login(api, "198.51.100.7", user, password))[0] == 200
