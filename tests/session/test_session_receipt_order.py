"""The read-out follows the order the bids were received; the record numbers them 1..n.

Logs written before arrival times were kept (bids numbered by a per-bidder counter)
replay as they were read out.
"""

import json
from datetime import timedelta

import pytest
from session_kit import T0, Run, bid, received

from bidopen.session import build_record, replay
from bidopen.session.errors import SessionError
from bidopen.session.events import event_from_payload
from bidopen.session.values import BidEntry


def _minute(n: int) -> timedelta:
    return timedelta(minutes=n)


# Listed neither by arrival nor by name: C's bid in L1 came first, A's last.
ARRIVALS = (
    received("L1", "A", T0 + _minute(30)),
    received("L2", "A", T0 + _minute(5)),
    received("L1", "B", T0 + _minute(20)),
    received("L2", "C", T0 + _minute(40)),
    received("L1", "C", T0 + _minute(10)),
    received("L2", "B", T0 + _minute(25)),
)


def _passed(entries: tuple[BidEntry, ...]) -> Run:
    run = Run().schedule()
    assert run.state.deadline is not None
    run.until(run.state.deadline).tick(bids=entries)
    return run


def test_the_read_out_order_is_the_order_of_arrival_lot_by_lot() -> None:
    state = _passed(ARRIVALS).state
    assert [bid.key for bid in state.ordered_bids] == [
        ("L1", "C"),
        ("L1", "B"),
        ("L1", "A"),
        ("L2", "A"),
        ("L2", "B"),
        ("L2", "C"),
    ]


def test_the_record_numbers_the_bids_one_to_n_in_the_order_received() -> None:
    run = _passed(ARRIVALS)
    numbers = {(b["lot"], b["bidder"]): b["receipt_no"] for b in build_record(run.state)["bids"]}
    by_arrival = sorted(ARRIVALS, key=lambda entry: entry.received_at or T0)
    assert numbers == {(e.lot, e.bidder): n for n, e in enumerate(by_arrival, start=1)}


def test_the_same_arrival_instant_falls_to_the_bidder_id() -> None:
    at = T0 + _minute(1)
    state = _passed((received("L1", "B", at), received("L1", "A", at))).state
    assert [(b.bidder, b.receipt_no) for b in state.ordered_bids] == [("A", 1), ("B", 2)]


def test_a_log_numbered_by_the_old_counter_replays_as_it_was_read_out() -> None:
    # Counters per bidder across the platform: A had bid elsewhere, so A's numbers are high.
    old = (bid("L1", "A", 7), bid("L1", "B", 1), bid("L1", "C", 3))
    run = _passed(old)
    stored = [(event.kind, json.dumps(event.to_payload())) for event in run.log]
    again = replay(event_from_payload(kind, json.loads(text)) for kind, text in stored)
    assert [(b.bidder, b.receipt_no) for b in again.ordered_bids] == [
        ("B", 1),
        ("C", 3),
        ("A", 7),
    ]
    assert build_record(again) == build_record(run.state)


def test_new_logs_store_the_arrival_and_no_counter() -> None:
    run = _passed(ARRIVALS[:3])
    kind, payload = run.log[1].kind, run.log[1].to_payload()
    assert kind == "deadline_passed"
    assert isinstance(payload["bids"], list) and payload["bids"]
    first = payload["bids"][0]
    assert isinstance(first, dict) and first["received_at"] and first["receipt_no"] is None


def test_a_bid_with_neither_its_arrival_nor_a_number_is_refused() -> None:
    with pytest.raises(SessionError):
        BidEntry(lot="L1", bidder="A", bid_sha256="ab" * 32)
