"""The signed evaluation result names its bidders, so it can be read without the session."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from evaluation_kit import LOT, reach_report_stage, result_body, run_opening, server_key
from hubtesting import HubApi

from bidseal import verify_document

# The `hub_process` fixture of tests/conftest.py (a HubProcess).
HubProcess = Any


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def test_the_signed_result_carries_every_named_bidder(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    session = await run_opening(api, hub_process.host_user, hub_process.host_password)
    tid = session.tender_id
    await reach_report_stage(api, session)
    body = result_body(session)

    # A malformed ranking is refused as such, and leaves nothing behind.
    status, refusal = await api.host(
        tid, "publish_result", {**body, "candidates": [["not", "an", "id"]]}, expect=None
    )
    assert status == 422, refusal
    status, _ = await api.call("GET", f"/api/sessions/{tid}/results/{LOT}")
    assert status == 404

    await api.host(tid, "publish_result", body)
    _, document = await api.call("GET", f"/api/sessions/{tid}/results/{LOT}", expect=200)
    payload = verify_document(document, "evaluation-result", await server_key(api))
    assert payload["format"] == "bidopen-evaluation-result/3"
    assert payload["bidder_names"] == {bidder.id: bidder.name for bidder in session.bidders}
    assert payload["candidates"][0]["bidder"] == session.named("乙路桥公司").id
    assert set(payload["reasons"]) <= set(payload["bidder_names"])
