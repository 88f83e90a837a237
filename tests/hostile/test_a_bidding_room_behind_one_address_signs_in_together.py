"""Many bidders behind one address (a centre's bidding room) register and sign in together."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from deadline_kit import DEFAULT_LIMITS
from hubtesting import Bidder, HubApi

ROOM = 300


@pytest.fixture
def hub_env() -> dict[str, str]:
    return DEFAULT_LIMITS


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_three_hundred_bidders_from_one_address_are_never_refused(
    hub_client: aiohttp.ClientSession,
) -> None:
    api = HubApi(hub_client)
    gate = asyncio.Semaphore(30)

    async def arrive(n: int) -> Bidder:
        async with gate:
            # `register` asserts 201 for registration and 200 for challenge and sign-in.
            return await api.register(f"投标大厅第{n}号公司")

    bidders = await asyncio.gather(*(arrive(n) for n in range(ROOM)))
    assert len({b.token for b in bidders}) == ROOM
    # Their sign-ins did not spend the anonymous budget of the public pages.
    await api.call("GET", "/api/tenders", expect=200)
