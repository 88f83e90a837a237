"""Forwarded headers count only from configured trusted proxies (the client address too)."""

from __future__ import annotations

import pytest
from deadline_kit import client_from, error_code

from hubprocess import HubProcess


@pytest.fixture
def hub_env() -> dict[str, str]:
    # Only 127.0.0.1 is a proxy; a client on 127.0.0.2 is an ordinary client.
    return {
        "BIDOPEN_TRUSTED_PROXIES": "127.0.0.1/32",
        "BIDOPEN_LOGIN_FAILURES_PER_MINUTE": "3",
    }


def _handshake(origin: str, forwarded_host: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "X-Forwarded-Host": forwarded_host,
        "X-Forwarded-Proto": "https",
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_client_cannot_vouch_for_a_foreign_origin(hub_process: HubProcess) -> None:
    path = "/socket.io/?EIO=4&transport=polling"
    headers = _handshake("https://evil.example", "evil.example")
    async with (
        client_from(hub_process.base_url, "127.0.0.2") as direct,
        direct.http.get(path, headers=headers) as response,
    ):
        assert response.status == 400
    async with client_from(hub_process.base_url, "127.0.0.1") as proxy:
        # The trusted proxy says the client reached https://bids.example: that origin holds.
        ok = _handshake("https://bids.example", "bids.example")
        async with proxy.http.get(path, headers=ok) as response:
            assert response.status == 200


async def _five_guesses(base_url: str, source: str) -> list[tuple[int, str | None]]:
    """Five wrong host passwords from `source`, each claiming another client address."""
    answers = []
    async with client_from(base_url, source) as client:
        for n in range(5):
            async with client.http.post(
                "/api/host/login",
                json={"username": "host1", "password": "wrong"},
                headers={"X-Forwarded-For": f"192.0.2.{n + 1}"},
            ) as response:
                answers.append((response.status, error_code(await response.json())))
    return answers


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_client_cannot_choose_its_address_for_the_limits(hub_process: HubProcess) -> None:
    statuses = await _five_guesses(hub_process.base_url, "127.0.0.2")
    # The five guesses count against 127.0.0.2, whatever X-Forwarded-For says.
    assert statuses[-1] == (429, "login_throttled"), statuses
    answers = await _five_guesses(hub_process.base_url, "127.0.0.1")
    # Through the trusted proxy, each named client has its own budget.
    assert [status for status, _ in answers] == [401] * 5
