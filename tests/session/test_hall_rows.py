"""The opening hall's rows: numbered bids with their progress, no name before the read-out,
and the art. 31 classification (视为撤销 / 视为撤回) with its cause once decryption ends."""

import json
from typing import Any

from session_kit import HOST, Run, bidder, org

from bidopen.service.views import BIDDER, PUBLIC, event_message
from bidopen.service.views import HOST as HOST_ROLE
from bidopen.session import bidder_view, public_view
from bidopen.session import commands as c
from bidopen.session.codec import JSON
from bidopen.session.hall import bid_numbers, hall_rows
from bidopen.store.eventlog import StoredEvent

# Receipt order: A, B, C, D in L1, then B, D, A in L2 (a minute apart each).
PLAN = {"L1": ("A", "B", "C", "D"), "L2": ("B", "D", "A")}


def _rows(run: Run) -> list[Any]:
    return list(hall_rows(run.state))


def _row(run: Run, lot: str, number: int) -> Any:
    return next(row for row in _rows(run) if row["lot"] == lot and row["number"] == number)


def _opening() -> Run:
    run = Run().schedule().pass_deadline(PLAN, signed_in=("A",)).start()
    run.sign_in("B", "C")
    run.decrypt(("L1", "A"), ("L2", "B"))
    run.do(c.RecordDecryptionFailure(actor=bidder("B"), bidder="B", lot="L1", reason_code="x"))
    run.do(c.RecordPlatformFault(actor=HOST, bidder="C", reason="上传服务中断"))
    return run


def test_no_row_before_the_deadline() -> None:
    run = Run().schedule().wait(60)
    assert hall_rows(run.state) == [] and bid_numbers(run.state) == {}
    assert "hall" not in public_view(run.state)


def test_rows_are_numbered_per_lot_in_receipt_order_and_name_nobody() -> None:
    run = _opening()
    rows = _rows(run)
    assert [(row["lot"], row["number"]) for row in rows] == [
        ("L1", 1),
        ("L1", 2),
        ("L1", 3),
        ("L1", 4),
        ("L2", 1),
        ("L2", 2),
        ("L2", 3),
    ]
    assert [row["signed_in"] for row in rows] == [True, True, True, False, True, False, True]
    assert [row["decrypted"] for row in rows] == [True, False, False, False, True, False, False]
    assert _row(run, "L1", 2)["failed_attempts"] == 1
    faults = [row["platform_fault"] for row in rows]
    assert faults == [False, False, True, False, False, False, False]
    assert all(row["outcome"] is None and "bidder" not in row for row in rows)
    for view in (public_view(run.state), bidder_view(run.state, "A")):
        text = json.dumps(view["hall"], ensure_ascii=False)
        for name in "ABCD":
            assert f'"{name}"' not in text and org(name) not in text


def test_decryption_end_classifies_each_bid_and_the_read_out_names_it() -> None:
    run = _opening()
    assert run.state.ends_at is not None
    run.until(run.state.ends_at)
    run.tick(summaries=run.summaries())
    outcomes = {(row["lot"], row["number"]): row["outcome"] for row in _rows(run)}
    assert outcomes == {
        ("L1", 1): {"status": "opened", "cause": "decrypted", "item": ""},
        # Wrong key and the window ended: the bidder's own cause, 视为撤销.
        ("L1", 2): {"status": "revoked", "cause": "key_rejected", "item": ""},
        # A platform fault: a cause outside the bidder, 视为撤回.
        ("L1", 3): {"status": "withdrawn", "cause": "platform_fault", "item": ""},
        ("L1", 4): {"status": "revoked", "cause": "not_signed_in", "item": ""},
        ("L2", 1): {"status": "opened", "cause": "decrypted", "item": ""},
        ("L2", 2): {"status": "revoked", "cause": "not_signed_in", "item": ""},
        # Signed in, never decrypted before the window ended.
        ("L2", 3): {"status": "revoked", "cause": "not_decrypted", "item": ""},
    }
    # Row n of a lot is line n of its read-out: the names fill in row by row.
    assert [(row["bidder"], row["bidder_name"]) for row in _rows(run) if row["lot"] == "L1"] == [
        (name, org(name)) for name in "ABCD"
    ]
    for lot in run.state.readout:
        lines = [line.bidder for line in lot.lines]
        assert lines == [row["bidder"] for row in _rows(run) if row["lot"] == lot.lot]


def _stored(kind: str, payload: dict[str, JSON]) -> StoredEvent:
    return StoredEvent("T1", 9, kind, "2026-11-27T03:00:00Z", payload)


def test_events_about_a_bid_name_its_row_not_its_bidder() -> None:
    numbers = bid_numbers(_opening().state)
    assert numbers == {
        "A": (("L1", 1), ("L2", 3)),
        "B": (("L1", 2), ("L2", 1)),
        "C": (("L1", 3),),
        "D": (("L1", 4), ("L2", 2)),
    }
    at = "2026-11-27T03:00:00Z"
    cases: list[tuple[str, dict[str, JSON], dict[str, JSON]]] = [
        (
            "bidder_signed_in",
            {"at": at, "bidder": "B"},
            {"at": at, "bids": [{"lot": "L1", "number": 2}, {"lot": "L2", "number": 1}]},
        ),
        (
            "bid_decrypted",
            {"at": at, "lot": "L2", "bidder": "D"},
            {"at": at, "lot": "L2", "number": 2},
        ),
        (
            "decryption_failed",
            {"at": at, "lot": "L1", "bidder": "C", "reason_code": "x", "attempt": 2},
            {"at": at, "lot": "L1", "attempt": 2, "number": 3},
        ),
        (
            "platform_fault_recorded",
            {"at": at, "bidder": "A", "reason": "r", "reported_by": "host"},
            {
                "at": at,
                "reported_by": "host",
                "bids": [{"lot": "L1", "number": 1}, {"lot": "L2", "number": 3}],
            },
        ),
        # A fault for everyone names no row: it concerns them all.
        (
            "platform_fault_recorded",
            {"at": at, "bidder": None, "reason": "r", "reported_by": "host"},
            {"at": at, "reported_by": "host"},
        ),
    ]
    for kind, payload, public in cases:
        stored = _stored(kind, payload)
        for role in (PUBLIC, BIDDER):
            message = event_message(role, stored, read_out_seq=None, numbers=numbers)
            assert message["data"] == public, kind
        # Hosts get the event whole, as logged.
        whole = event_message(HOST_ROLE, stored, read_out_seq=None, numbers=numbers)
        assert whole["data"] == payload
