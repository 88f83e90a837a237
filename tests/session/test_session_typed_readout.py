"""Typed read-out items at decryption (a value not of its type, a price above the ceiling) and
the parties of a tender (a thin lot of a project tendered by law can only be stopped)."""

import pytest
from session_kit import HOST, Run

from bidopen.session import Phase, build_record, public_view
from bidopen.session import commands as c
from bidopen.session import events as e
from bidopen.session.codec import decode_dataclass, encode
from bidopen.session.errors import InvalidArgument, TenderedByLaw
from bidopen.session.values import (
    BidStatus,
    ItemType,
    Lot,
    OutcomeCause,
    QuorumChoice,
    ReadoutItem,
    TenderParties,
)

TYPED = (
    ReadoutItem(key="price", label_zh="投标报价（元）", label_en="Bid price", type=ItemType.AMOUNT),
    ReadoutItem(key="days", label_zh="工期（日历天）", label_en="Duration", type=ItemType.DAYS),
    ReadoutItem(
        key="grade", label_zh="质量等级", label_en="Quality", type=ItemType.TEXT, max_length=4
    ),
)
CEILED = (Lot(id="L1", name="一标段", ceiling="8650000.00"),)


def close_with(summaries: dict[str, dict[str, str]]) -> tuple[e.DecryptionClosed, e.ReadOut]:
    run = Run().schedule(readout_items=TYPED, lots=CEILED)
    run.pass_deadline({"L1": tuple(summaries)}, signed_in=tuple(summaries))
    run.start().decrypt(*(("L1", name) for name in summaries))
    run.do(
        c.CloseDecryption(actor=HOST, summaries={("L1", name): s for name, s in summaries.items()})
    )
    closed, readout = run.log[-3], run.log[-2]
    assert isinstance(closed, e.DecryptionClosed) and isinstance(readout, e.ReadOut)
    return closed, readout


def test_a_value_not_of_its_type_is_classified_and_never_read_out() -> None:
    closed, readout = close_with(
        {
            "A": {"price": "8650000.00", "days": "180", "grade": "合格"},
            "B": {"price": "8,650,000", "days": "180", "grade": "合格"},
            "C": {"price": "100.00", "days": "一百八十", "grade": "合格"},
            "D": {"price": "100.00", "days": "90", "grade": "合格合格合格"},
        }
    )
    outcomes = {o.bidder: (o.status, o.cause, o.item) for o in closed.outcomes}
    assert outcomes == {
        "A": (BidStatus.OPENED, OutcomeCause.DECRYPTED, ""),
        "B": (BidStatus.REVOKED, OutcomeCause.VALUE_NOT_OF_TYPE, "price"),
        "C": (BidStatus.REVOKED, OutcomeCause.VALUE_NOT_OF_TYPE, "days"),
        "D": (BidStatus.REVOKED, OutcomeCause.VALUE_NOT_OF_TYPE, "grade"),
    }
    lines = {line.bidder: line for line in readout.lots[0].lines}
    assert lines["A"].items == {"price": "8650000.00", "days": "180", "grade": "合格"}
    assert all(lines[name].items is None for name in "BCD")


def test_an_amount_above_the_ceiling_is_flagged_not_refused() -> None:
    closed, readout = close_with(
        {
            "A": {"price": "8650000.00", "days": "180", "grade": "合格"},
            "B": {"price": "8650000.01", "days": "180", "grade": "合格"},
            "C": {"price": "1007919.00", "days": "180", "grade": "合格"},
        }
    )
    assert {o.status for o in closed.outcomes} == {BidStatus.OPENED}
    flagged = {line.bidder: line.above_ceiling for line in readout.lots[0].lines}
    assert flagged == {"A": (), "B": ("price",), "C": ()}


def test_the_public_sees_the_cause_and_the_item_in_the_record() -> None:
    closed, _ = close_with(
        {
            "A": {"price": "1.00", "days": "1", "grade": "合格"},
            "B": {"price": "-1", "days": "1", "grade": "合格"},
            "C": {"price": "2.00", "days": "1", "grade": "合格"},
        }
    )
    outcome = encode(next(o for o in closed.outcomes if o.bidder == "B"))
    assert isinstance(outcome, dict)
    assert (outcome["cause"], outcome["item"]) == ("value_not_of_type", "price")


def test_events_written_before_types_replay_as_text_items_and_lots_without_ceiling() -> None:
    old_item = {"key": "price", "label_zh": "投标报价", "label_en": "Price"}
    item = decode_dataclass(ReadoutItem, old_item, "item")
    assert item.type is ItemType.TEXT
    assert decode_dataclass(Lot, {"id": "L1", "name": "一标段"}, "lot").ceiling is None


def test_a_ceiling_must_be_an_amount() -> None:
    with pytest.raises(InvalidArgument):
        Lot(id="L1", name="一标段", ceiling="8,650,000")


def test_views_carry_types() -> None:
    run = Run().schedule(readout_items=TYPED, lots=CEILED)
    view = public_view(run.state)
    assert view["readout_items"][0]["type"] == "amount"  # type: ignore[index]
    assert view["lots"][0]["ceiling"] == "8650000.00"  # type: ignore[index]


BY_LAW = TenderParties(
    tenderer="某市住房和城乡建设局", agency="某招标代理有限公司", tendered_by_law=True
)


def test_a_thin_lot_of_a_project_tendered_by_law_can_only_be_stopped() -> None:
    run = Run().schedule(parties=BY_LAW).pass_deadline({"L1": ("A", "B"), "L2": ("A", "B", "C")})
    assert run.state.phase is Phase.QUORUM_DECISION
    before = run.state
    with pytest.raises(TenderedByLaw):
        run.do(c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.CONTINUE, reason="继续"))
    assert run.state is before
    run.do(
        c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.STOP, reason="不足三家，重新招标")
    )
    assert "L1" in run.state.stopped_lots and run.state.phase is Phase.OPENING
    record = build_record(run.state)
    assert record["tender"]["tendered_by_law"] is True  # type: ignore[index]
    assert record["tender"]["tenderer"] == "某市住房和城乡建设局"  # type: ignore[index]


def test_elsewhere_a_thin_lot_may_continue_with_its_reason() -> None:
    run = Run().schedule().pass_deadline({"L1": ("A", "B"), "L2": ("A", "B", "C")})
    run.do(
        c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.CONTINUE, reason="招标文件允许")
    )
    assert run.state.quorum["L1"].choice is QuorumChoice.CONTINUE


def test_a_log_written_before_parties_replays_without_them() -> None:
    run = Run().schedule(parties=BY_LAW)
    scheduled = encode(run.log[0])
    assert isinstance(scheduled, dict)
    del scheduled["parties"]
    replayed = decode_dataclass(e.SessionScheduled, scheduled, "event")
    assert replayed.parties == TenderParties()
