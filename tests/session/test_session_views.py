"""Secrecy of the views: no bidder or count before the deadline, no price before the read-out."""

import json
from datetime import timedelta

from session_kit import DEADLINE, HOST, Run, bid, bidder, bids

from bidopen.session import Phase, bidder_view, host_view, public_view
from bidopen.session import commands as c
from bidopen.session.codec import JSON

CANARY = "CANARY-BIDDER-7f3a"
CANARY_PRICE = "987654321.99"
PLAN = {"L1": ("A", "B", CANARY), "L2": ("A", "B", "C")}


def _text(view: dict[str, JSON]) -> str:
    return json.dumps(view, ensure_ascii=False)


def _views(run: Run, *bidders: str) -> list[str]:
    state = run.state
    return [_text(public_view(state)), *(_text(bidder_view(state, b)) for b in bidders)]


def test_before_the_deadline_nothing_names_or_counts_bidders() -> None:
    run = Run().schedule().wait(60)
    # An early tick carries the private bids; it must leave no trace.
    assert run.tick(bids=bids(PLAN), signed_in=(CANARY,)) == []
    run.until(DEADLINE - timedelta(microseconds=1))
    assert run.tick(bids=bids(PLAN), signed_in=(CANARY,)) == []
    assert run.state.phase is Phase.SCHEDULED
    texts = [*_views(run, "A"), _text(host_view(run.state))]
    texts += [json.dumps(event.to_payload(), ensure_ascii=False) for event in run.log]
    for text in texts:
        assert CANARY not in text
        assert bid("L1", CANARY, 3).bid_sha256 not in text
        for leak in ('"bids"', "lot_progress", "signed_in", "count"):
            assert leak not in text, leak
    assert bidder_view(run.state, CANARY)["you"] == {"bidder": CANARY}


def test_after_the_deadline_counts_are_public_but_names_wait_for_the_read_out() -> None:
    run = Run().schedule().pass_deadline(PLAN, signed_in=("A", "B", CANARY)).start()
    run.decrypt(("L1", CANARY))
    public = public_view(run.state)
    assert public["lot_progress"] == [
        {"lot": "L1", "bids": 3, "decrypted": 1, "quorum_warning": False, "quorum": None},
        {"lot": "L2", "bids": 3, "decrypted": 0, "quorum_warning": False, "quorum": None},
    ]
    for text in _views(run, "A", "C"):
        assert CANARY not in text
        assert bid("L1", CANARY, 3).bid_sha256 not in text
        assert '"readout":' not in text
    # The canary sees its own bid, the host sees who bid; nobody sees a price yet.
    assert bid("L1", CANARY, 3).bid_sha256 in _text(bidder_view(run.state, CANARY))
    assert CANARY in _text(host_view(run.state))
    every_text = [*_views(run, "A", CANARY), _text(host_view(run.state))]
    every_text += [json.dumps(event.to_payload()) for event in run.log]
    assert not any(CANARY_PRICE in text for text in every_text)


def test_names_and_prices_are_public_from_the_read_out_on() -> None:
    run = Run().schedule().pass_deadline(PLAN, signed_in=("A", "B", "C", CANARY)).start()
    run.decrypt_all().wait(1)
    summaries = run.summaries()
    summaries[("L1", CANARY)] = {"price": CANARY_PRICE, "duration_days": "90"}
    run.do(c.CloseDecryption(actor=HOST, summaries=summaries))
    public = _text(public_view(run.state))
    assert CANARY in public and CANARY_PRICE in public
    assert CANARY_PRICE in _text(bidder_view(run.state, "A"))


def test_a_bidder_sees_its_own_objections_only() -> None:
    run = Run().schedule().pass_deadline(PLAN, signed_in=("A", "B"))
    run.do(c.RaiseObjection(actor=bidder("A"), bidder="A", lot=None, text="A的异议内容"))
    assert "A的异议内容" in _text(bidder_view(run.state, "A"))
    assert "A的异议内容" not in _text(bidder_view(run.state, "B"))
    assert "A的异议内容" not in _text(public_view(run.state))
    assert public_view(run.state)["objection_count"] == 1
