"""A whole opening through the client library against a real hub process.

Host, five bidders and two public viewers, each on its own socket: one bidder hands over a
wrong data key, one objects and is answered, one stays silent. The published record must
say exactly what each party saw.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bidopen.client import (
    BidderClient,
    ClientError,
    EventMessage,
    HostClient,
    LotSpec,
    PublicViewer,
    SessionFeed,
    SignedDocument,
    TenderDraft,
    seal_in_memory,
)
from bidopen.client.attend import Attendance, AttendancePlan, attend
from bidseal import generate_keys
from hubprocess import HubProcess

pytestmark = pytest.mark.slow

LOT = "1"
OBJECTION = "第3号投标人报价的大写金额与小写金额不一致，请核实。"
ANSWER = "已核实：以开标一览表为准，唱标无误。"
# The failing bidder keeps decryption open until its window ends, and the silent bidder
# keeps confirmation open until its window ends: each window only needs to hold the other
# parties' steps (a few requests), so a few seconds, with room for a loaded machine.
WINDOW_S = 10
OPENING_TIMEOUT_S = 120


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


@dataclass
class Party:
    """A bidder with what it sealed, and what the hub signed back."""

    client: BidderClient
    price: str
    sealed: bytes = b""
    receipt: SignedDocument | None = None

    @property
    def id(self) -> str:
        return self.client.bidder_id


async def _seal_and_submit(party: Party, tender_id: str) -> None:
    items = {"price": party.price, "duration_days": "365"}
    party.sealed, result = seal_in_memory(
        party.client.keys, party.client.context(tender_id, LOT), b"bid document", items
    )
    party.receipt = await party.client.submit(tender_id, LOT, party.sealed)
    assert party.receipt.payload["bid_sha256"] == result.bid_sha256


async def _fail_to_decrypt(party: Party, tender_id: str) -> tuple[Attendance, str]:
    """Sign in, hand over a wrong data key when the window opens, confirm after the read-out."""
    await party.client.sign_in(tender_id)
    feed = (await party.client.follow(tender_id)).feed
    await feed.wait_for("decryption_started")
    with pytest.raises(ClientError) as refused:
        await party.client.send_data_key(tender_id, LOT, secrets.token_bytes(32))
    read_out = await feed.wait_for("read_out")
    await party.client.confirm(tender_id)
    await feed.wait_for("record_published")
    record = await party.client.record(tender_id)
    seen = Attendance(read_out.data["lots"], None, None, record, tuple(feed.history))
    return seen, refused.value.code


async def _until_seen(feed: SessionFeed, counts: dict[str, int]) -> None:
    """Read on until the feed has shown at least so many events of each kind, in any order."""
    while any(len(feed.seen(kind)) < number for kind, number in counts.items()):
        await feed.next()


async def _run_host(host: HostClient, tender_id: str, feed: SessionFeed) -> dict[str, Any]:
    """The host's part; returns what the host's console showed at each step."""
    shown: dict[str, Any] = {}
    deadline = await feed.wait_for("deadline_passed")
    shown["counts"] = deadline.data["counts"]
    await host.start_decryption(tender_id)
    await _until_seen(feed, {"bid_decrypted": 4, "decryption_failed": 1})
    with pytest.raises(ClientError) as early:
        await host.close_decryption(tender_id)
    shown["early_close_refused"] = early.value.code
    shown["read_out"] = (await feed.wait_for("read_out")).data["lots"]
    raised = await feed.wait_for("objection_raised")
    shown["objection"] = dict(raised.data)
    await host.answer_objection(tender_id, raised.data["objection_id"], ANSWER)
    # Everyone but the silent bidder confirms; closing early must still be refused.
    await _until_seen(feed, {"bidder_confirmed": 4})
    with pytest.raises(ClientError) as early_confirmation:
        await host.close_confirmation(tender_id)
    shown["early_confirmation_refused"] = early_confirmation.value.code
    shown["confirmation_closed"] = dict((await feed.wait_for("confirmation_closed")).data)
    shown["record"] = await host.publish_record(tender_id)
    shown["published"] = dict((await feed.wait_for("record_published")).data)
    return shown


def _assert_in_order(history: Sequence[EventMessage], after: int) -> None:
    assert [m.seq for m in history] == list(range(after + 1, after + 1 + len(history)))


async def test_whole_opening_matches_what_every_party_saw(hub_process: HubProcess) -> None:
    url = hub_process.base_url
    async with HostClient(url) as host:
        await host.login(hub_process.host_user, hub_process.host_password)
        parties = [
            Party(BidderClient(url, generate_keys()), price)
            for price in ("1280000.00", "1265500.50", "1301000.00", "1259999.99", "1277777.00")
        ]
        for number, party in enumerate(parties, start=1):
            await party.client.register(f"第{number}投标人有限公司", f"contact{number}@example.cn")
            await party.client.login()
        tender = await host.create_tender(
            TenderDraft(
                title="某某道路改造工程施工（端到端测试）",
                lots=(LotSpec(LOT, "标段一"),),
                deadline=datetime.now(UTC) + timedelta(seconds=10),
                decryption_seconds=WINDOW_S,
                confirmation_seconds=WINDOW_S,
            )
        )
        host_feed = (await host.follow(tender.id)).feed
        viewers = [PublicViewer(url, tender.id) for _ in range(2)]
        viewer_feeds = [await viewer.open() for viewer in viewers]
        for feed in viewer_feeds:
            assert feed.snapshot is not None
            # Before the deadline the big screen shows no bidder and no count.
            assert "lot_progress" not in feed.snapshot.view
            assert "readout" not in feed.snapshot.view
        for party in parties:
            await _seal_and_submit(party, tender.id)

        normal, failing, objecting, silent = parties[:2], parties[2], parties[3], parties[4]
        plans = [
            *(AttendancePlan() for _ in normal),
            AttendancePlan(objection=OBJECTION, confirm=True),
            AttendancePlan(confirm=False),
        ]
        attending = [normal[0], normal[1], objecting, silent]

        async def take_part(party: Party, plan: AttendancePlan) -> Attendance:
            return await attend(party.client, tender.id, {LOT: party.sealed}, plan)

        async with asyncio.timeout(OPENING_TIMEOUT_S):
            shown, attended, (failed, refusal) = await asyncio.gather(
                _run_host(host, tender.id, host_feed),
                asyncio.gather(
                    *(take_part(p, plan) for p, plan in zip(attending, plans, strict=True))
                ),
                _fail_to_decrypt(failing, tender.id),
            )
            for feed in viewer_feeds:
                await feed.wait_for("record_published")

        record: SignedDocument = shown["record"]
        payload = record.payload
        seen_by = dict(zip([p.id for p in attending], attended, strict=True))
        seen_by[failing.id] = failed

        # The record is signed by the hub's key and is the one the log published.
        assert shown["published"]["sha256"] == record.sha256
        log = await host.log(tender.id)
        assert [e.seq for e in log] == list(range(1, len(log) + 1))
        assert log[-1].kind == "record_published"
        assert log[-1].payload["sha256"] == record.sha256

        # Everyone saw the same read-out, and it is the record's.
        assert payload["readout"] == shown["read_out"]
        for attendance in seen_by.values():
            assert attendance.read_out == payload["readout"]
            assert attendance.record.sha256 == record.sha256
        for feed in viewer_feeds:
            assert feed.snapshot is not None
            _assert_in_order(feed.history, feed.snapshot.seq)
            (read_out,) = feed.seen("read_out")
            assert read_out.data["lots"] == payload["readout"]
            (published,) = feed.seen("record_published")
            assert published.data["sha256"] == record.sha256
        assert host_feed.snapshot is not None
        _assert_in_order(host_feed.history, host_feed.snapshot.seq)

        # The read-out lists each bid as its bidder sealed it; the failed one stays sealed.
        (lot,) = payload["readout"]
        lines = {line["bidder"]: line for line in lot["lines"]}
        assert set(lines) == {p.id for p in parties}
        for party in parties:
            if party is failing:
                assert lines[party.id]["status"] == "revoked"
                assert lines[party.id]["items"] is None
            else:
                assert lines[party.id]["status"] == "opened"
                assert lines[party.id]["items"] == {"price": party.price, "duration_days": "365"}

        # Bids: the receipts each bidder holds name the bids in the record.
        bids = {bid["bidder"]: bid for bid in payload["bids"]}
        for party in parties:
            assert party.receipt is not None
            assert bids[party.id]["bid_sha256"] == party.receipt.payload["bid_sha256"]
        assert refusal == "wrong_data_key"
        assert bids[failing.id]["cause"] == "key_rejected"
        assert bids[failing.id]["failed_attempts"] == 1
        assert shown["early_close_refused"] == "decryption_incomplete"

        # The objection and its answer, as raised and as the objector read it.
        (objection,) = payload["objections"]
        assert objection["bidder"] == objecting.id
        assert objection["text"] == OBJECTION
        assert objection["answer"] == ANSWER
        assert objection["id"] == shown["objection"]["objection_id"]
        assert seen_by[objecting.id].objection_id == objection["id"]
        assert seen_by[objecting.id].answer == ANSWER

        # Four confirmed; the silent bidder is deemed to accept, and the record says so.
        confirmed = {entry["bidder"] for entry in payload["confirmed"]}
        assert confirmed == {p.id for p in parties} - {silent.id}
        assert payload["deemed_accepted"] == [silent.id]
        assert shown["early_confirmation_refused"] == "confirmation_incomplete"
        assert shown["confirmation_closed"]["deemed_accepted"] == [silent.id]

        for party in parties:
            await party.client.close()
        for viewer in viewers:
            await viewer.close()
