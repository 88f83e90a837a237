"""Secrecy of the views: no bidder or count before the deadline, no price before the read-out."""

import json
from datetime import timedelta
from typing import Any

from session_kit import DEADLINE, HOST, Run, bid, bidder, bids, org

from bidopen.session import Phase, bidder_view, host_view, public_view
from bidopen.session import commands as c
from bidopen.session.codec import JSON, format_instant

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
        assert CANARY not in text and org(CANARY) not in text
        assert bid("L1", CANARY, 3).bid_sha256 not in text
        for leak in ('"bids"', "lot_progress", "signed_in", "count", "bidder_name", "objections"):
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
        assert CANARY not in text and org(CANARY) not in text
        assert bid("L1", CANARY, 3).bid_sha256 not in text
        assert '"readout":' not in text and "bidder_names" not in text
    # The canary sees its own bid and name, the host sees who bid; nobody sees a price yet.
    own: Any = bidder_view(run.state, CANARY)
    assert bid("L1", CANARY, 3).bid_sha256 in _text(own)
    assert own["you"]["bidder_name"] == org(CANARY)
    host: Any = host_view(run.state)
    assert host["bidder_names"] == {name: org(name) for name in ("A", "B", CANARY, "C")}
    named = {(b["lot"], b["bidder"]): b["bidder_name"] for b in host["bids"]}
    assert named[("L1", CANARY)] == org(CANARY) and named[("L2", "C")] == org("C")
    every_text = [*_views(run, "A", CANARY), _text(host_view(run.state))]
    every_text += [json.dumps(event.to_payload()) for event in run.log]
    assert not any(CANARY_PRICE in text for text in every_text)


def test_names_and_prices_are_public_from_the_read_out_on() -> None:
    run = Run().schedule().pass_deadline(PLAN, signed_in=("A", "B", "C", CANARY)).start()
    run.decrypt_all().wait(1)
    summaries = run.summaries()
    summaries[("L1", CANARY)] = {"price": CANARY_PRICE, "duration_days": "90"}
    run.do(c.CloseDecryption(actor=HOST, summaries=summaries))
    view: Any = public_view(run.state)
    public = _text(view)
    assert CANARY in public and CANARY_PRICE in public
    assert CANARY_PRICE in _text(bidder_view(run.state, "A"))
    # The read-out names every bidder: in each line and in the view's name map.
    lines = {(lot["lot"], line["bidder"]): line for lot in view["readout"] for line in lot["lines"]}
    assert lines[("L1", CANARY)]["bidder_name"] == org(CANARY)
    assert lines[("L1", CANARY)]["items"]["price"] == CANARY_PRICE
    assert all(line["bidder_name"] == org(bidder) for (_, bidder), line in lines.items())
    assert view["bidder_names"] == {name: org(name) for name in ("A", "B", CANARY, "C")}


def test_objections_and_answers_are_public_the_objector_only_from_the_read_out_on() -> None:
    run = Run().schedule().pass_deadline(PLAN, signed_in=("A", "B", "C", CANARY)).start()
    run.do(c.RaiseObjection(actor=bidder(CANARY), bidder=CANARY, lot="L1", text="解密页面无响应"))
    run.wait(1).do(c.AnswerObjection(actor=HOST, objection_id="O1", text="已排查，请重试"))
    raised_at, answered_at = run.now - timedelta(minutes=1), run.now
    expected = {
        "id": "O1",
        "lot": "L1",
        "text": "解密页面无响应",
        "raised_at": format_instant(raised_at),
        "answer": "已排查，请重试",
        "answered_at": format_instant(answered_at),
    }
    # The hall and the other bidders read the objection and its answer, not who raised it.
    assert public_view(run.state)["objections"] == [expected]
    assert bidder_view(run.state, "A")["objections"] == [expected]
    for text in _views(run, "A", "B"):
        assert CANARY not in text and org(CANARY) not in text
    own: Any = bidder_view(run.state, CANARY)["you"]
    assert [(o["id"], o["bidder_name"], o["answer"]) for o in own["objections"]] == [
        ("O1", org(CANARY), "已排查，请重试")
    ]
    host: Any = host_view(run.state)
    assert [(o["bidder"], o["bidder_name"]) for o in host["objections"]] == [(CANARY, org(CANARY))]

    run.decrypt_all().close_decryption()
    run.do(c.RaiseObjection(actor=bidder("B"), bidder="B", lot=None, text="报价读错"))
    after: Any = public_view(run.state)
    assert after["objections"] == [
        {**expected, "bidder": CANARY, "bidder_name": org(CANARY)},
        {
            "id": "O2",
            "lot": None,
            "text": "报价读错",
            "raised_at": format_instant(run.now),
            "answer": None,
            "answered_at": None,
            "bidder": "B",
            "bidder_name": org("B"),
        },
    ]
    assert (after["objection_count"], after["answered_count"]) == (2, 1)


def test_a_sign_in_before_the_deadline_is_said_to_be_one() -> None:
    # Logged with the deadline's tick, its time is the tick's; the view says what it was.
    run = Run().schedule().pass_deadline(PLAN, signed_in=(CANARY,)).start().sign_in("A")
    early: Any = bidder_view(run.state, CANARY)["you"]
    late: Any = bidder_view(run.state, "A")["you"]
    assert early["signed_in_before_deadline"] is True
    assert late["signed_in_before_deadline"] is False and late["signed_in_at"]
    assert bidder_view(run.state, "B")["you"]["signed_in_before_deadline"] is False
