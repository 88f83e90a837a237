"""One node's /healthz, /readyz and /metrics after some real traffic."""

from __future__ import annotations

import sys
from pathlib import Path

import aiohttp
import pytest
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hub"))
from hubtesting import HubApi, seal_bid

from hubprocess import HubProcess


def _sample(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {line_start} in /metrics")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_health_readiness_and_metrics_of_one_node(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    _, alive = await api.call("GET", "/healthz", expect=200)
    assert alive == {"status": "alive"}
    _, ready = await api.call("GET", "/readyz", expect=200)
    assert ready["ready"] is True
    assert set(ready["checks"]) == {"database", "redis", "scheduler"}
    assert ready["checks"]["redis"] == {"ok": True, "detail": "not configured (one node)"}

    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender(deadline_in=600))["id"]
    bidder = await api.register("甲建设集团有限公司")
    sealed = seal_bid(bidder, tid, "1", {"price": "1000000.00"})
    assert (await api.upload(bidder, tid, "1", sealed))[0] == 201
    await api.call("POST", "/api/tenders", json={}, expect=401)
    viewer = socketio.AsyncClient()
    await viewer.connect(
        hub_process.base_url,
        namespaces=["/public"],
        auth={"session_id": tid},
        transports=["websocket"],
    )
    try:
        _, text = await api.call("GET", "/metrics", expect=200)
    finally:
        await viewer.disconnect()
    assert _sample(text, 'bidopen_connected_clients{namespace="/public"}') == 1
    assert _sample(text, 'bidopen_events_appended_total{kind="session_scheduled"}') == 1
    assert _sample(text, 'bidopen_uploads_total{outcome="stored"}') == 1
    assert _sample(text, "bidopen_upload_bytes_total") == len(sealed)
    assert _sample(text, 'bidopen_refusals_total{code="unauthenticated"}') >= 1
    assert _sample(text, "bidopen_fanout_degraded") == 0
    assert _sample(text, "bidopen_scheduler_last_pass_timestamp_seconds") > 0
    # Nothing in the metrics names a bidder.
    assert bidder.id not in text and "甲建设" not in text
