"""Ids match one pattern at the API, and no path on disk is built from anything a user chose."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hubtesting import HubApi, iso, seal_bid

from bidseal import BidContext
from bidseal.ids import ID_PATTERN
from hubprocess import HubProcess

SEALED_NAME = re.compile(r"bids/[0-9a-f]{2}/[0-9a-f]{32}\.bid")


def tree(root: Path) -> list[str]:
    """Every file and folder under `root`, relative, in order."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def tender_body(lots: list[Any]) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    return {
        "title": "路径测试",
        "lots": lots,
        "deadline": iso(datetime.now(UTC) + timedelta(hours=1)),
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_hostile_lot_ids_are_refused_and_touch_nothing(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    before = tree(tmp_path)
    outside = str(tmp_path / "escaped")
    cases: list[tuple[list[Any], str]] = [
        ([{"id": "../../../X", "name": "a"}], "invalid_id"),
        ([{"id": outside, "name": "a"}], "invalid_id"),
        ([{"id": "a/b", "name": "a"}], "invalid_id"),
        ([{"id": "..", "name": "a"}], "invalid_id"),
        # Not text at all is the body's schema refusing a type, which has its own code.
        ([{"id": None, "name": "a"}], "validation_failed"),
        ([{"id": 7, "name": "a"}], "validation_failed"),
        ([{"id": "一标段", "name": "a"}], "invalid_id"),
        ([{"id": "x" * 65, "name": "a"}], "invalid_id"),
        ([{"name": "a"}], "validation_failed"),
        ([{"id": "1", "name": "a"}, {"id": "1", "name": "b"}], "validation_failed"),
        (["1"], "validation_failed"),
    ]
    for lots, code in cases:
        status, body = await api.call(
            "POST", "/api/tenders", headers=api.host_auth, json=tender_body(lots)
        )
        assert status == 422, (lots, status, body)
        assert body["error"]["code"] == code, (lots, body)
        if code == "invalid_id":
            assert ID_PATTERN in body["error"]["message"]
        if lots != ["1"] and len(lots) == 1:
            assert body["error"]["field"] == "lots[0].id", body
    _, listed = await api.call("GET", "/api/tenders", expect=200)
    assert listed["tenders"] == []
    assert [p for p in tree(tmp_path) if p not in before and "bidopen.db" not in p] == []


async def test_no_file_or_folder_names_a_bidder_tender_or_lot(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tender = (await api.create_tender(lots=("L1", "lot-2")))["id"]
    bidders = [await api.register(name) for name in ("甲公司", "乙公司")]
    for bidder in bidders:
        for lot in ("L1", "lot-2"):
            sealed = seal_bid(bidder, tender, lot, {"price": "1.00", "duration_days": "3"})
            status, body = await api.upload(bidder, tender, lot, sealed)
            assert status == 201, body
    # A replacement too: it must not land next to the file it replaces.
    sealed = seal_bid(bidders[0], tender, "L1", {"price": "2.00", "duration_days": "3"})
    assert (await api.upload(bidders[0], tender, "L1", sealed))[0] == 201
    data = hub_process.data_dir
    names = tree(data)
    # Lot ids are a host's words, bidder ids tie a bidder to a tender. Beside the sealed
    # bids there are only the database, the keys and the public log's newest checkpoint.
    chosen_or_secret = ["L1", "lot-2", *(b.id for b in bidders), *(b.name for b in bidders)]
    for name in names:
        for word in chosen_or_secret:
            assert word not in name, (word, name)
    others = [n for n in names if not n.startswith(("bids", "log-checkpoint", "bidopen.db"))]
    assert all("key" in n for n in others), others
    sealed_files = [n for n in names if n.startswith("bids/") and n.endswith(".bid")]
    assert len(sealed_files) == 5
    assert all(SEALED_NAME.fullmatch(n) for n in sealed_files), sealed_files


def test_seal_context_follows_the_id_pattern(tmp_path: Path) -> None:
    assert BidContext.parse("ZB-2026-000001/L1/BD0A1B2C3D4E") == BidContext(
        "ZB-2026-000001", "L1", "BD0A1B2C3D4E"
    )
    for bad in ("a/b", "a/b/c/d", "a/../b", "a/ b/c", "a//c", "a/b./c"):
        with pytest.raises(ValueError):
            BidContext.parse(bad)
    document = tmp_path / "bid.pdf"
    document.write_bytes(b"%PDF")
    summary = tmp_path / "summary.json"
    summary.write_text('{"items": {"price": "1.00"}}')
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bidopen", "seal", str(document)),
            *("--summary", str(summary), "--key-dir", str(tmp_path / "keys")),
            *("--context", "T1/a.b/BD1", "--out", str(tmp_path / "out.bid")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "id pattern" in done.stderr, done.stderr
    assert not (tmp_path / "out.bid").exists()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_files_of_an_earlier_release_get_random_names_at_start(
    hub_process: HubProcess,
) -> None:
    """A data folder of a release that named bids/<tender>/<lot>/<bidder>/…: renamed safely."""
    import asyncio
    import sqlite3

    async def bid() -> tuple[str, str, bytes]:
        async with aiohttp.ClientSession(base_url=hub_process.base_url) as http:
            api = HubApi(http)
            await api.login_host(hub_process.host_user, hub_process.host_password)
            tender = (await api.create_tender())["id"]
            bidder = await api.register("甲公司")
            sealed = seal_bid(bidder, tender, "1", {"price": "1.00"})
            assert (await api.upload(bidder, tender, "1", sealed))[0] == 201
            return tender, bidder.id, sealed

    tender, bidder, sealed = asyncio.run(bid())
    hub_process.stop()
    bids = hub_process.data_dir / "bids"
    (current,) = bids.rglob("*.bid")
    legacy = f"{tender}/1/{bidder}/0123abcd-1a2b3c4d.bid"
    (bids / legacy).parent.mkdir(parents=True)
    current.rename(bids / legacy)
    with sqlite3.connect(hub_process.data_dir / "bidopen.db") as db:
        db.execute("UPDATE bids SET file_path = ?", (legacy,))
    hub_process.start()
    with sqlite3.connect(hub_process.data_dir / "bidopen.db") as db:
        ((path,),) = db.execute("SELECT file_path FROM bids").fetchall()
    assert SEALED_NAME.fullmatch(f"bids/{path}"), path
    assert (bids / path).read_bytes() == sealed
    assert [n for n in tree(bids) if tender in n or bidder in n] == []
