"""A lot's result as the rules define it: candidates first to third or 流标, every other bid's
reason, the publicity period and its status, objections during it, answers due in three days."""

from datetime import timedelta

import pytest
from session_kit import HOST, SHA, SIG, Run, bidder, run_to

from bidopen.session import Phase, decide
from bidopen.session import commands as c
from bidopen.session import events as e
from bidopen.session.errors import SessionError
from bidopen.session.publicity import PublicityStatus, publicity_status
from bidopen.session.values import (
    BidStatus,
    Candidate,
    Disposition,
    EvaluationStage,
    Reason,
    ResultOutcome,
)

REJECTED = Reason(clause="第二章 3.1.2(4)", text="未提供投标保证金")
NOT_RANKED = Reason(disposition=Disposition.NOT_RANKED, text="评标价第四")


def _result(**overrides: object) -> c.PublishResult:
    fields: dict[str, object] = {
        "actor": HOST,
        "lot": "L1",
        "outcome": ResultOutcome.CANDIDATES,
        "candidates": (Candidate(bidder="A", price="990000.50", score="92.5"),),
        "reasons": {"B": REJECTED, "C": NOT_RANKED},
        "publicity_days": 3,
        "sha256": SHA,
        "signature": SIG,
    }
    fields.update(overrides)
    return c.PublishResult(**fields)  # type: ignore[arg-type]


def _refused(build: dict[str, object]) -> tuple[str, str | None]:
    with pytest.raises(SessionError) as caught:
        _result(**build)
    return caught.value.code, getattr(caught.value, "field", None)


# Shapes the command itself refuses, whatever the session: (overrides, field named).
BAD_SHAPES = [
    ({"candidates": tuple(Candidate(bidder=n) for n in "ABCD")}, "candidates"),  # more than 3
    ({"candidates": (Candidate(bidder="A"), Candidate(bidder="A"))}, "candidates"),
    ({"candidates": ()}, "candidates"),  # candidates, but none named
    ({"reasons": {"A": REJECTED}}, "reasons"),  # a candidate also rejected
    ({"outcome": ResultOutcome.FAILED}, "candidates"),  # 流标 with a candidate
    ({"outcome": ResultOutcome.FAILED, "candidates": ()}, "failure"),  # 流标 without why
    ({"failure": "流标"}, "failure"),  # a reason to fail beside candidates
    ({"publicity_days": 2}, "publicity_days"),  # under the law's three days
]


@pytest.mark.parametrize(("build", "field"), BAD_SHAPES)
def test_a_result_of_the_wrong_shape_is_refused_naming_its_field(
    build: dict[str, object], field: str
) -> None:
    assert _refused(build) == ("invalid_argument", field)


@pytest.mark.parametrize(
    "reason",
    [
        {"clause": "", "text": "未提供"},  # a rejection cites its clause
        {"clause": "3.1", "text": " "},
        {"disposition": "rejected", "clause": "3.1", "text": "x"},  # not the enum
    ],
)
def test_a_rejection_needs_its_clause_and_a_reason_its_text(reason: dict[str, object]) -> None:
    with pytest.raises(SessionError):
        Reason(**reason)  # type: ignore[arg-type]
    assert Reason(disposition=Disposition.NOT_RANKED, text="排名第四").clause == ""


@pytest.mark.parametrize(
    ("price", "score"), [("990000.5", None), ("9,900.00", None), (None, "92.555"), (None, "-1")]
)
def test_a_candidates_price_and_score_have_their_form(price: str | None, score: str | None) -> None:
    with pytest.raises(SessionError):
        Candidate(bidder="A", price=price, score=score)


def _report_stage() -> Run:
    """L1: A and B opened, C revoked; L2: all opened. The evaluation at its report stage."""
    run = run_to(Phase.OPENING).start().sign_in("C")
    run.decrypt(("L1", "A"), ("L1", "B"), ("L2", "A"), ("L2", "B"), ("L2", "C"))
    run.wait(40).tick(summaries=run.summaries())
    run.confirm("A", "B", "C").do(c.CloseConfirmation(actor=HOST))
    return run.publish_record().stage(*EvaluationStage)


def _code(run: Run, command: c.Command) -> str:
    try:
        decide(run.state, command, run.now)
    except SessionError as error:
        return error.code
    return "ok"


def test_the_session_refuses_candidates_and_reasons_that_do_not_fit_the_lot() -> None:
    run = _report_stage()
    assert [b.outcome.status for b in run.state.bids.values() if b.lot == "L1" and b.outcome] == [
        BidStatus.OPENED,
        BidStatus.OPENED,
        BidStatus.REVOKED,
    ]
    not_opened = (Candidate(bidder="C"),)
    assert _code(run, _result(candidates=not_opened, reasons={"A": REJECTED})) == "invalid_argument"
    assert _code(run, _result(reasons={})) == "invalid_argument"  # B has no reason
    assert _code(run, _result(reasons={"B": REJECTED, "Z": REJECTED})) == "invalid_argument"
    # The revoked bid needs no reason (its status says why); B's rejection cites its clause.
    run.do(_result(reasons={"B": REJECTED}))
    published = run.log[-1]
    assert isinstance(published, e.ResultPublished)
    assert published.outcome is ResultOutcome.CANDIDATES
    assert published.candidates == (Candidate(bidder="A", price="990000.50", score="92.5"),)
    assert published.reasons == {"B": REJECTED}


def test_a_lot_whose_every_bid_is_rejected_fails_and_is_published() -> None:
    run = _report_stage()
    failed = _result(
        outcome=ResultOutcome.FAILED,
        candidates=(),
        reasons={"A": REJECTED, "B": REJECTED},
        failure="所有投标均被否决，依法重新招标",
    )
    run.do(failed)
    assert run.state.results["L1"].outcome is ResultOutcome.FAILED
    assert run.state.phase is Phase.EVALUATION  # L2 still waits for its result
    run.result("L2", ("C", "A", "B"))
    assert run.state.phase is Phase.RESULT_PUBLISHED


def test_a_lot_with_no_opened_bid_awaits_a_failed_result() -> None:
    run = run_to(Phase.OPENING).start().sign_in("C")
    run.decrypt(("L2", "A"), ("L2", "B"), ("L2", "C"))  # nothing of L1 opens
    run.wait(40).tick(summaries=run.summaries())
    run.confirm("A", "B", "C").do(c.CloseConfirmation(actor=HOST))
    run.publish_record().stage(*EvaluationStage)
    assert run.state.lots_awaiting_result == ("L1", "L2")
    assert _code(run, _result(reasons={})) == "invalid_argument"  # A was not opened
    run.do(_result(outcome=ResultOutcome.FAILED, candidates=(), reasons={}, failure="无有效投标"))
    run.result("L2", ("A",))
    assert run.state.phase is Phase.RESULT_PUBLISHED


def test_publicity_runs_for_its_days_then_ends() -> None:
    run = _report_stage()
    run.do(_result(reasons={"B": REJECTED}, publicity_days=5))
    result = run.state.results["L1"]
    assert result.publicity_ends_at == run.now + timedelta(days=5)
    assert publicity_status(result, run.now) is PublicityStatus.RUNNING
    assert publicity_status(result, result.publicity_ends_at - timedelta(seconds=1)) is (
        PublicityStatus.RUNNING
    )
    assert publicity_status(result, result.publicity_ends_at) is PublicityStatus.ENDED


def test_a_demo_tenders_publicity_is_the_shortened_one_it_was_scheduled_with() -> None:
    run = Run()
    run.schedule(demo_publicity_seconds=90)
    assert run.state.demo_publicity_seconds == 90
    real = run_to(Phase.SCHEDULED)
    assert real.state.demo_publicity_seconds is None
    with pytest.raises(SessionError):
        Run().schedule(demo_publicity_seconds=2)


def _objected() -> Run:
    run = _report_stage()
    run.do(_result(reasons={"B": REJECTED}))
    return run.wait(3600).object_to_result("B", "L1")


def test_a_bidder_objects_during_publicity_and_the_answer_is_due_in_three_days() -> None:
    run = _objected()
    raised = run.log[-1]
    assert isinstance(raised, e.ResultObjectionRaised)
    assert (raised.objection_id, raised.lot, raised.bidder) == ("R1", "L1", "B")
    assert raised.bidder_name.startswith("B")
    assert raised.answer_due_at == run.now + timedelta(days=3)
    run.wait(3600).answer_result_objection("R1")
    answered = run.log[-1]
    assert isinstance(answered, e.ResultObjectionAnswered)
    assert answered.late is False
    assert run.state.result_objections["R1"].answer == "经核查，业绩属实"
    assert _code(run, c.AnswerResultObjection(actor=HOST, objection_id="R1", text="再答")) == (
        "objection_already_answered"
    )


def test_an_answer_after_three_days_is_still_given_and_marked_late() -> None:
    run = _objected()
    run.wait(3 * 24 * 3600 + 1).answer_result_objection("R1")
    answered = run.log[-1]
    assert isinstance(answered, e.ResultObjectionAnswered)
    assert answered.late is True


def test_objections_outside_publicity_or_from_outside_the_lot_are_refused() -> None:
    run = _report_stage()

    def objection(name: str, lot: str = "L1", text: str = "异议") -> c.RaiseResultObjection:
        return c.RaiseResultObjection(actor=bidder(name), bidder=name, lot=lot, text=text)

    assert _code(run, objection("B")) == "result_not_published"
    run.do(_result(reasons={"B": REJECTED}))
    assert _code(run, objection("B", lot="L2")) == "result_not_published"
    assert _code(run, objection("Z")) == "not_permitted"  # no bid in the tender
    wrong_actor = c.RaiseResultObjection(actor=bidder("A"), bidder="B", lot="L1", text="x")
    assert _code(run, wrong_actor) == "not_permitted"
    with pytest.raises(SessionError):
        objection("B", text="  ")
    answer = c.AnswerResultObjection(actor=HOST, objection_id="R9", text="答复")
    assert _code(run, answer) == "objection_unknown"
    run.wait(3 * 24 * 3600)
    assert _code(run, objection("B")) == "publicity_over"


def test_an_objection_to_a_result_keeps_its_signature_and_its_nonce_is_taken_once() -> None:
    run = _report_stage()
    run.do(_result(reasons={"B": REJECTED}))
    signed = c.RaiseResultObjection(
        actor=bidder("B"), bidder="B", lot="L1", text="异议", nonce="n" * 22, signature=SIG
    )
    run.wait(60).do(signed)
    raised = run.log[-1]
    assert isinstance(raised, e.ResultObjectionRaised)
    assert (raised.nonce, raised.signature) == ("n" * 22, SIG)
    assert run.state.result_objections["R1"].signature == SIG
    assert _code(run, signed) == "objection_repeated"
    # Another bidder may use the same nonce; its objection is its own.
    other = c.RaiseResultObjection(
        actor=bidder("A"), bidder="A", lot="L1", text="异议", nonce="n" * 22
    )
    run.do(other)
    assert run.state.result_objections["R2"].bidder == "A"


def test_an_objection_to_a_result_logged_before_bidders_signed_replays() -> None:
    old = {
        "at": "2026-11-27T05:00:00.000000Z",
        "objection_id": "R1",
        "lot": "L1",
        "bidder": "B",
        "bidder_name": "乙公司",
        "text": "异议",
        "answer_due_at": "2026-11-30T05:00:00.000000Z",
    }
    event = e.event_from_payload("result_objection_raised", old)
    assert isinstance(event, e.ResultObjectionRaised)
    assert (event.nonce, event.signature) == ("", "")


def test_a_result_logged_before_candidates_replays_in_todays_form() -> None:
    old = {
        "at": "2026-11-27T05:00:00.000000Z",
        "lot": "L1",
        "ranked": ["A", "B", "C", "D"],
        "winner": "A",
        "reasons": {
            "B": {"clause": "3.2", "text": "得分第二"},
            "E": {"clause": "2.1", "text": "未解密"},
        },
        "publicity_days": 3,
        "publicity_ends_at": "2026-11-30T05:00:00.000000Z",
        "sha256": SHA,
        "signature": SIG,
    }
    event = e.event_from_payload("result_published", old)
    assert isinstance(event, e.ResultPublished)
    assert event.outcome is ResultOutcome.CANDIDATES
    assert [candidate.bidder for candidate in event.candidates] == ["A", "B", "C"]
    assert event.reasons == {
        "D": Reason(disposition=Disposition.NOT_RANKED, text="第4名 / ranked 4"),
        "E": Reason(disposition=Disposition.NOT_RANKED, clause="2.1", text="未解密"),
    }
