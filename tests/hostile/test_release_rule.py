"""The bidder client's rule for handing over a data key, case by case (bidopen.client.release)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bidopen.client.release import (
    CLOCK_MARGIN,
    BidDocument,
    DeadlineStatement,
    KeyReleaseRefused,
    Postponement,
    check_time,
    chosen_bid,
    plan_release,
)

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(hours=1)
KEY = b"\x04" + b"k" * 64
OTHER_KEY = b"\x04" + b"o" * 64


def doc(type_: str, sha: str, at: datetime, *, lot: str = "1", tender: str = "A") -> BidDocument:
    return BidDocument(
        type=type_,
        tender=tender,
        lot=lot,
        bidder="B1",
        bid_sha256=sha,
        deadline=DEADLINE,
        tender_code="ZB-1",
        tender_title="道路工程",
        lot_name="标段一",
        at=at,
        key=KEY,
    )


def refusal(code: str, call: Callable[[], object]) -> None:
    with pytest.raises(KeyReleaseRefused) as caught:
        call()
    assert caught.value.code == code


def test_the_latest_receipt_is_the_bid_to_open_whatever_order_it_was_kept_in() -> None:
    old, new = doc("receipt", "aa", T0), doc("receipt", "bb", T0 + timedelta(minutes=5))
    assert chosen_bid([new, old], "A", "1", "B1", "bb") is new
    refusal("bid_replaced", lambda: chosen_bid([new, old], "A", "1", "B1", "aa"))
    refusal("not_this_bid", lambda: chosen_bid([new, old], "A", "1", "B1", "cc"))


def test_a_withdrawn_bid_and_a_missing_receipt_are_refused() -> None:
    receipt = doc("receipt", "aa", T0)
    withdrawal = doc("withdrawal", "aa", T0 + timedelta(minutes=1))
    refusal("bid_withdrawn", lambda: chosen_bid([receipt, withdrawal], "A", "1", "B1", "aa"))
    # A bid sent again after a withdrawal is current again.
    again = doc("receipt", "aa", T0 + timedelta(minutes=2))
    assert chosen_bid([receipt, withdrawal, again], "A", "1", "B1", "aa") is again
    refusal("no_receipt", lambda: chosen_bid([receipt], "B", "1", "B1", "aa"))
    refusal("no_receipt", lambda: chosen_bid([receipt], "A", "2", "B1", "aa"))


def test_only_later_signed_deadlines_count_and_the_statement_must_agree() -> None:
    receipt = doc("receipt", "aa", T0)
    later = Postponement("A", DEADLINE, DEADLINE + timedelta(days=1), KEY)
    plan = plan_release(receipt, [later])
    assert plan.signed == plan.deadline == DEADLINE + timedelta(days=1)
    assert plan.opens_at == plan.deadline + CLOCK_MARGIN
    earlier = Postponement("A", DEADLINE, DEADLINE - timedelta(minutes=1), KEY)
    refusal("deadline_earlier", lambda: plan_release(receipt, [earlier]))
    refusal("notice_invalid", lambda: plan_release(receipt, [replace(later, tender="B")]))
    refusal("notice_invalid", lambda: plan_release(receipt, [replace(later, key=OTHER_KEY)]))
    agreeing = DeadlineStatement("A", later.deadline, 1, "n1", KEY)
    assert plan_release(receipt, [later], statement=agreeing, nonce="n1").signed == later.deadline
    refusal(
        "notice_invalid", lambda: plan_release(receipt, [later], statement=agreeing, nonce="n2")
    )
    hiding = DeadlineStatement("A", DEADLINE, 1, "n1", KEY)
    refusal("notice_missing", lambda: plan_release(receipt, [], statement=hiding, nonce="n1"))
    back = DeadlineStatement("A", DEADLINE, 1, "n1", KEY)
    refusal("deadline_earlier", lambda: plan_release(receipt, [later], statement=back, nonce="n1"))


def test_a_stated_later_deadline_is_waited_for_and_the_own_clock_decides() -> None:
    receipt = doc("receipt", "aa", T0)
    stated = DEADLINE + timedelta(hours=2)
    plan = plan_release(receipt, [], (stated, DEADLINE - timedelta(days=1)))
    assert plan.unsigned_later and plan.deadline == stated and plan.signed == DEADLINE
    refusal("before_deadline", lambda: check_time(plan, DEADLINE + timedelta(hours=1)))
    check_time(plan, stated + CLOCK_MARGIN)
    honest = plan_release(receipt, [])
    refusal("before_deadline", lambda: check_time(honest, DEADLINE + CLOCK_MARGIN / 2))
    # The hub's clock is shown, never used.
    lying_hub = DEADLINE + timedelta(days=9)
    refusal("before_deadline", lambda: check_time(honest, DEADLINE, hub_now=lying_hub))
    check_time(honest, DEADLINE + CLOCK_MARGIN)


def test_a_version_1_receipt_without_a_deadline_is_never_opened() -> None:
    old = BidDocument.from_payload(
        "receipt",
        {
            "tender": "A",
            "lot": "1",
            "bidder": "B1",
            "bid_sha256": "aa",
            "size": 1,
            "received_at": "2026-12-07T02:00:00.000000Z",
            "receipt_no": 1,
            "deadline": "2026-12-07T03:00:00.000000Z",
        },
        KEY,
    )
    assert old.deadline is None
    refusal("receipt_without_deadline", lambda: chosen_bid([old], "A", "1", "B1", "aa"))
