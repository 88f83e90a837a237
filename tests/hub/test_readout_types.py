"""Typed read-out items against a real hub: the tender states types and ceilings, the CLI
types a summary by them, and a hand-made summary not of its types is classified."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hubtesting import HubApi, data_key_of, iso, seal_bid, wait_for_phase

from bidseal.keys import write_key_dir
from hubprocess import HubProcess

ITEMS = [
    {"key": "price", "label_zh": "投标报价（元）", "label_en": "Bid price (CNY)", "type": "amount"},
    {"key": "duration_days", "label_zh": "工期（日历天）", "label_en": "Days", "type": "days"},
]


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def typed_tender(api: HubApi, *, deadline_in: float, ceiling: str = "8650000.00") -> str:
    _, body = await api.call(
        "POST",
        "/api/tenders",
        headers=api.host_auth,
        expect=201,
        json={
            "title": "某某道路改造工程施工",
            "lots": [{"id": "1", "name": "标段1", "ceiling": ceiling}],
            "deadline": iso(datetime.now(UTC) + timedelta(seconds=deadline_in)),
            "readout_items": ITEMS,
        },
    )
    return str(body["id"])


async def test_the_tender_states_types_and_a_ceiling_must_be_an_amount(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = await typed_tender(api, deadline_in=3600)
    _, tender = await api.call("GET", f"/api/tenders/{tid}", expect=200)
    assert [(i["key"], i["type"]) for i in tender["readout_items"]] == [
        ("price", "amount"),
        ("duration_days", "days"),
    ]
    assert tender["lots"][0]["ceiling"] == "8650000.00"
    for ceiling in ("8,650,000", "-1", "8650000"):
        status, body = await api.call(
            "POST",
            "/api/tenders",
            headers=api.host_auth,
            json={
                "title": "某某工程",
                "lots": [{"id": "1", "name": "标段1", "ceiling": ceiling}],
                "deadline": iso(datetime.now(UTC) + timedelta(hours=1)),
            },
        )
        assert (status, body["error"]["code"]) == (422, "validation_failed"), ceiling
    status, body = await api.call(
        "POST",
        "/api/tenders",
        headers=api.host_auth,
        json={
            "title": "某某工程",
            "lots": [{"id": "1", "name": "标段1"}],
            "deadline": iso(datetime.now(UTC) + timedelta(hours=1)),
            "readout_items": [{**ITEMS[0], "type": "yuan"}],
        },
    )
    assert (status, body["error"]["code"]) == (422, "validation_failed")


async def test_the_cli_types_a_summary_by_the_tender_it_fetches(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = await typed_tender(api, deadline_in=3600)
    bidder = await api.register("甲建设集团")
    write_key_dir(tmp_path / "keys", bidder.keys, "口令", iterations=1000)
    (tmp_path / "pass").write_text("口令", encoding="utf-8")
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.7 bid")

    def seal(price: str) -> subprocess.CompletedProcess[str]:
        summary = tmp_path / "summary.json"
        summary.write_text(json.dumps({"items": {"price": price, "duration_days": "180"}}))
        out = tmp_path / f"bid-{len(price)}.sealed"
        return subprocess.run(
            [sys.executable, "-m", "bidseal", "seal", str(tmp_path / "doc.pdf"),
             "--key-dir", str(tmp_path / "keys"), "--passphrase-file", str(tmp_path / "pass"),
             "--context", f"{tid}/1/{bidder.id}", "--summary", str(summary), "--out", str(out),
             "--url", hub_process.base_url],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    for typed in ("三百二十万", "8,650,000", "-1"):
        refused = seal(typed)
        assert refused.returncode == 1 and "price (投标报价（元）)" in refused.stderr, typed
    sealed = seal("8650000")
    assert sealed.returncode == 0, sealed.stderr
    assert "8,650,000.00 (捌佰陆拾伍万元整)" in sealed.stdout


async def test_a_hand_made_summary_not_of_its_types_is_classified_at_decryption(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    prices = {"甲": "1007919.00", "乙": "8,650,000", "丙": "8650000.01"}
    # Registered first: only sealing and uploading have to fit before the deadline.
    bidders = [await api.register(f"{name}建设集团") for name in prices]
    tid = await typed_tender(api, deadline_in=3)
    sealed: dict[str, bytes] = {}
    for bidder, price in zip(bidders, prices.values(), strict=True):
        # seal_bid is the format's own writer: it seals any text, as a hand-made file could.
        sealed[bidder.id] = seal_bid(bidder, tid, "1", {"price": price, "duration_days": "180"})
        status, body = await api.upload(bidder, tid, "1", sealed[bidder.id])
        assert status == 201, body
    await wait_for_phase(api, tid, "opening")
    await api.host(tid, "start_decryption")
    for bidder in bidders:
        await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
        await api.call(
            "POST",
            f"/api/tenders/{tid}/lots/1/data-key",
            headers=bidder.auth,
            json={"data_key": data_key_of(bidder, sealed[bidder.id], tid, "1")},
            expect=200,
        )
    await api.host(tid, "close_decryption")
    snap = await wait_for_phase(api, tid, "confirmation")
    lines: dict[str, Any] = {
        line["bidder"]: line for lot in snap["view"]["readout"] for line in lot["lines"]
    }
    first, second, third = (lines[b.id] for b in bidders)
    assert (first["status"], first["above_ceiling"]) == ("opened", [])
    assert (second["status"], second["cause"], second["item"]) == (
        "revoked",
        "value_not_of_type",
        "price",
    )
    assert second["items"] is None and "8,650,000" not in json.dumps(snap)
    assert (third["status"], third["above_ceiling"]) == ("opened", ["price"])
