"""`bidopen verify` and an objection to a result: the bidder's signature is checked against
its key in the bundle, a copy of the log with the text changed fails, and one logged before
bidders signed objections to results (no nonce, no signature) is named as unsigned. The
objection is the Python client's, signed as `BidderClient.object_to_result` signs it.

The forged copies rebuild the whole log, so the hub is the test's own (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from evaluation_kit import LOT, reach_report_stage, result_body, run_opening, server_key
from hubtesting import HubApi

from bidopen.client.bidder import BidderClient
from bidopen.service.publiclog import load_log_signer
from bidopen.verify.check import Trust, VerificationFailed, verify_bundle

# The log tests' forger (tests/tlog is no package, so it goes on the path).
_TLOG_TESTS = str(Path(__file__).resolve().parents[1] / "tlog")
if _TLOG_TESTS not in sys.path:
    sys.path.insert(0, _TLOG_TESTS)

from tlog_kit import relogged  # noqa: E402

HubProcess = Any  # tests/conftest.py's fixture type


async def test_verify_checks_the_signature_of_an_objection_to_a_result(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    session = await run_opening(api, hub_process.host_user, hub_process.host_password)
    tid = session.tender_id
    rejected = session.named("丙工程有限公司")
    await reach_report_stage(api, session)
    await api.host(tid, "publish_result", result_body(session))
    # The Python client signs it with the bidder's key.
    async with BidderClient(hub_process.base_url, rejected.keys, rejected.id) as client:
        await client.login()
        assert await client.object_to_result(tid, LOT, "否决理由不成立。") == "R1"

    # bidopen verify checks the signature; the platform's copy with the text changed fails,
    # and one logged before bidders signed (no nonce, no signature) is named as such.
    bundle = await _bundle_with(api, tid, "result_objection_raised")
    _, vkey = await api.call("GET", "/log/vkey", expect=200)
    trust = Trust(log_vkey=vkey.strip(), server_key=await server_key(api))
    lines = verify_bundle(bundle, trust).lines
    assert not any("unsigned" in line for line in lines), lines
    signer = load_log_signer(hub_process.data_dir / "log-key.pem", vkey.split("+")[0])

    def forged(body: dict[str, Any]) -> None:
        if body.get("kind") == "result_objection_raised":
            body["payload"]["text"] = "撤回异议"

    with pytest.raises(
        VerificationFailed,
        match=r"objection R1 to the result of lot 1 .* not signed by the bidder's key",
    ):
        verify_bundle(relogged(bundle, signer, forged), trust)

    def unsigned(body: dict[str, Any]) -> None:
        if body.get("kind") == "result_objection_raised":
            body["payload"].update(nonce="", signature="")

    report = verify_bundle(relogged(bundle, signer, unsigned), trust)
    assert any(
        "objection to a result unsigned (logged before bidders signed" in line
        for line in report.lines
    )


async def _bundle_with(api: HubApi, tid: str, kind: str) -> dict[str, Any]:
    """The session's bundle once the log's checkpoint covers its `kind` event (bounded wait)."""
    for _ in range(100):
        status, bundle = await api.call("GET", f"/api/sessions/{tid}/bundle")
        if status == 200:
            kinds = {
                json.loads(base64.b64decode(e["entry"])).get("kind") for e in bundle["entries"]
            }
            if kind in kinds:
                return dict(bundle)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the log's checkpoint never covered {kind}")
