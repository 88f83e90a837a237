"""Whole openings and their turns: quorum, extension, pause, classification, objections, result."""

from datetime import timedelta
from typing import Any

import pytest
from session_kit import (
    DEADLINE,
    FULL,
    HOST,
    SHA,
    SIG,
    SYSTEM,
    THIN,
    Run,
    bidder,
    continue_thin,
    org,
    price,
    run_to,
)

from bidopen.session import Phase, build_record, decide, host_view, public_view
from bidopen.session import commands as c
from bidopen.session import events as e
from bidopen.session.codec import format_instant
from bidopen.session.errors import SessionError
from bidopen.session.values import (
    BidStatus,
    Candidate,
    Disposition,
    EvaluationStage,
    OutcomeCause,
    QuorumChoice,
    Reason,
    ResultOutcome,
)


def phase_of(run: Run) -> Phase:
    """The phase now; a call, so the type checker does not carry an earlier assert over."""
    return run.state.phase


def _code(run: Run, command: c.Command) -> str:
    with pytest.raises(SessionError) as caught:
        run.do(command)
    return caught.value.code


def test_a_whole_opening_from_schedule_to_published_result() -> None:
    run = Run().schedule()
    assert phase_of(run) is Phase.SCHEDULED
    assert run.state.next_deadline == DEADLINE
    run.wait(30)
    assert run.tick() == []  # not due yet

    run.pass_deadline(FULL, signed_in=("A", "B", "nobody"))
    passed = run.log[-1]
    assert isinstance(passed, e.DeadlinePassed)
    assert passed.counts == {"L1": 3, "L2": 3}
    assert passed.signed_in == ("A", "B")  # a sign-in without a bid takes no part
    assert passed.quorum_warnings == ()
    # The deadline event is where the log first names each bidder's organisation.
    assert {(b.bidder, b.bidder_name) for b in passed.bids} == {(n, org(n)) for n in "ABC"}
    assert phase_of(run) is Phase.OPENING
    assert run.state.next_deadline is None  # the host starts decryption, not the clock

    run.start()
    assert phase_of(run) is Phase.DECRYPTION
    assert run.state.next_deadline == run.now + timedelta(minutes=30)
    run.sign_in("C").decrypt_all().close_decryption()
    assert run.kinds()[-3:] == ["decryption_closed", "read_out", "confirmation_started"]
    readout = run.log[-2]
    assert isinstance(readout, e.ReadOut)
    assert [lot.lot for lot in readout.lots] == ["L1", "L2"]
    first = readout.lots[0].lines[0]
    assert (first.bidder, first.bidder_name, first.status, first.items) == (
        "A",
        org("A"),
        BidStatus.OPENED,
        price("L1", "A"),
    )
    assert all(line.bidder_name == org(line.bidder) for lot in readout.lots for line in lot.lines)
    assert run.state.read_out_seq == run.log.index(readout) + 1  # its seq in the log
    assert phase_of(run) is Phase.CONFIRMATION
    assert run.state.next_deadline == run.now + timedelta(minutes=15)

    run.confirm("A", "B", "C")
    run.do(c.CloseConfirmation(actor=HOST))
    closed = run.log[-1]
    assert isinstance(closed, e.ConfirmationClosed)
    assert (closed.early, closed.confirmed, closed.deemed_accepted) == (True, ("A", "B", "C"), ())
    assert phase_of(run) is Phase.RECORD_DUE

    run.publish_record()
    assert phase_of(run) is Phase.CLOSED
    run.stage(*EvaluationStage)
    assert phase_of(run) is Phase.EVALUATION
    run.result("L1", ("A", "B"))
    assert phase_of(run) is Phase.EVALUATION  # L2 still waits
    run.result("L2", ("C", "A", "B"))
    assert phase_of(run) is Phase.RESULT_PUBLISHED
    published = run.log[-1]
    assert isinstance(published, e.ResultPublished)
    assert published.publicity_ends_at == run.now + timedelta(days=3)
    assert published.reasons == {}  # all three are candidates
    assert [candidate.bidder for candidate in published.candidates] == ["C", "A", "B"]
    assert run.state.seq == len(run.log)


def test_thin_lot_waits_for_the_host_then_continues() -> None:
    run = Run().schedule().pass_deadline(THIN, signed_in=("A", "B"))
    passed = run.log[-1]
    assert isinstance(passed, e.DeadlinePassed)
    assert passed.quorum_warnings == ("L1",)
    assert phase_of(run) is Phase.QUORUM_DECISION
    assert _code(run, c.StartDecryption(actor=HOST)) == "illegal_in_phase"
    assert (
        _code(
            run,
            c.DecideQuorum(actor=HOST, lot="L2", choice=QuorumChoice.STOP, reason="不需决定"),
        )
        == "invalid_argument"
    )
    continue_thin(run)
    assert phase_of(run) is Phase.OPENING
    assert run.state.stopped_lots == frozenset()
    assert run.state.quorum["L1"].reason == "依法可继续"


def test_thin_lot_stopped_takes_no_further_part() -> None:
    run = Run().schedule().pass_deadline(THIN, signed_in=("A", "B", "C"))
    run.do(c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.STOP, reason="重新招标"))
    assert phase_of(run) is Phase.OPENING
    run.start()
    assert _code(run, c.RecordDecryption(actor=bidder("A"), bidder="A", lot="L1")) == "lot_stopped"
    run.decrypt(("L2", "A"), ("L2", "B"), ("L2", "C")).close_decryption()
    readout = run.log[-2]
    assert isinstance(readout, e.ReadOut)
    assert [lot.lot for lot in readout.lots] == ["L2"]
    record = build_record(run.state)
    assert record["lots"] == [
        {"id": "L1", "name": "一标段 施工", "bid_count": 2, "stopped": True, "ceiling": None},
        {"id": "L2", "name": "二标段 监理", "bid_count": 3, "stopped": False, "ceiling": None},
    ]
    # A stopped lot's bidders are named in the record, though they were never read out.
    bids: Any = record["bids"]
    assert [(b["lot"], b["bidder_name"]) for b in bids][:2] == [("L1", org("A")), ("L1", org("B"))]


def test_empty_lot_is_stopped_automatically_and_all_stopped_ends_the_session() -> None:
    run = Run().schedule().pass_deadline({"L2": ("A", "B", "C")})
    assert run.kinds()[-2:] == ["deadline_passed", "quorum_decided"]
    decided = run.log[-1]
    assert isinstance(decided, e.QuorumDecided)
    assert (decided.lot, decided.choice, decided.automatic) == ("L1", QuorumChoice.STOP, True)
    assert phase_of(run) is Phase.OPENING

    stopped = Run().schedule().pass_deadline({"L1": ("A",)})
    assert phase_of(stopped) is Phase.QUORUM_DECISION
    stopped.do(c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.STOP, reason="仅一家"))
    assert phase_of(stopped) is Phase.STOPPED
    assert stopped.state.next_deadline is None


def test_extension_moves_the_window_and_an_ended_window_stays_ended() -> None:
    run = run_to(Phase.OPENING).start()
    first_end = run.state.ends_at
    assert first_end is not None
    run.wait(20).do(c.ExtendDecryption(actor=HOST, seconds=900, reason="网络拥堵"))
    assert run.state.ends_at == first_end + timedelta(minutes=15)
    assert run.state.next_deadline == run.state.ends_at
    run.until(first_end)
    assert run.tick() == []  # the old end is no longer due
    run.until(first_end + timedelta(minutes=15))
    # Between the window's end and the scheduler's tick, nothing can slip in.
    late = c.RecordDecryption(actor=bidder("A"), bidder="A", lot="L1")
    assert _code(run, late) == "window_closed"
    extend = c.ExtendDecryption(actor=HOST, seconds=300, reason="too late")
    assert _code(run, extend) == "window_closed"
    assert run.tick(summaries={})[0].kind == "decryption_closed"
    assert len(run.state.extensions) == 1
    assert build_record(run.state)["extensions"] == [
        {
            "seconds": 900,
            "reason": "网络拥堵",
            "ends_at": "2026-11-27T03:47:00.000000Z",
            "at": "2026-11-27T03:22:00.000000Z",
        }
    ]


def test_windows_are_whole_seconds_from_five() -> None:
    from session_kit import schedule_command

    for name in ("decryption_seconds", "confirmation_seconds"):
        for bad in (4, 0, -60, 24 * 3600 + 1, 5.5, "60"):
            with pytest.raises(SessionError) as caught:
                schedule_command(**{name: bad})
            assert caught.value.code == "invalid_argument"
    for bad in (4, 240 * 60 + 1, 30.0):
        with pytest.raises(SessionError):
            c.ExtendDecryption(actor=HOST, seconds=bad, reason="补时")  # type: ignore[arg-type]
    # The shortest window runs its five seconds, and an extension of five more.
    run = Run().schedule(decryption_seconds=5).pass_deadline(FULL)
    run.start()
    assert run.state.ends_at == run.now + timedelta(seconds=5)
    run.do(c.ExtendDecryption(actor=HOST, seconds=5, reason="补时"))
    assert run.state.ends_at == run.now + timedelta(seconds=10)


def test_pause_stops_the_window_and_resume_shifts_it() -> None:
    run = run_to(Phase.OPENING).start().wait(10)
    ends_at = run.state.ends_at
    assert ends_at is not None
    run.do(c.Pause(actor=HOST, reason="平台故障"))
    assert run.state.paused and run.state.next_deadline is None
    screen = public_view(run.state)
    assert (screen["paused_since"], screen["pause_reason"]) == (format_instant(run.now), "平台故障")
    run.until(ends_at + timedelta(minutes=5))
    assert run.tick() == []  # ticks do nothing while paused
    decrypt = c.RecordDecryption(actor=bidder("A"), bidder="A", lot="L1")
    assert _code(run, decrypt) == "session_paused"
    assert _code(run, c.Pause(actor=HOST, reason="again")) == "session_paused"
    run.do(c.Resume(actor=HOST))
    # Paused for 25 minutes: the window keeps its 20 remaining minutes.
    assert run.state.ends_at == ends_at + timedelta(minutes=25)
    assert run.state.next_deadline == run.now + timedelta(minutes=20)
    assert _code(run, c.Resume(actor=HOST)) == "not_paused"
    run.do(decrypt)
    assert run.state.pauses[0].ended_at == run.now
    assert public_view(run.state)["paused_since"] is None


def test_pause_in_confirmation_shifts_the_confirmation_window() -> None:
    run = run_to(Phase.CONFIRMATION)
    ends_at = run.state.ends_at
    assert ends_at is not None
    run.do(c.Pause(actor=HOST, reason="异议处理"))
    run.wait(7).do(c.Resume(actor=HOST))
    assert run.state.ends_at == ends_at + timedelta(minutes=7)
    run.until(ends_at)
    assert run.tick() == []
    run.until(ends_at + timedelta(minutes=7))
    assert [event.kind for event in run.tick()] == ["confirmation_closed"]


def test_classification_of_bids_that_stay_encrypted() -> None:
    plan: dict[str, tuple[str, ...]] = {"L1": ("A", "B", "C", "D", "E"), "L2": ("A", "B", "F")}
    run = Run().schedule().pass_deadline(plan, signed_in=("A", "B", "C", "E", "F"))
    run.start()
    run.decrypt(("L1", "A"), ("L2", "A"))
    run.do(
        c.RecordDecryptionFailure(actor=bidder("B"), bidder="B", lot="L1", reason_code="wrong_key")
    )
    run.do(
        c.RecordDecryptionFailure(actor=bidder("B"), bidder="B", lot="L1", reason_code="wrong_key")
    )
    assert run.state.bids[("L1", "B")].failed_attempts == 2
    run.do(c.RecordPlatformFault(actor=SYSTEM, bidder="C", reason="C的解密请求超时"))
    assert run.state.ends_at is not None
    run.until(run.state.ends_at)
    run.tick(summaries=run.summaries())
    closed = run.log[-3]
    assert isinstance(closed, e.DecryptionClosed)
    outcomes = {(o.lot, o.bidder): (o.status, o.cause) for o in closed.outcomes}
    assert outcomes == {
        ("L1", "A"): (BidStatus.OPENED, OutcomeCause.DECRYPTED),
        ("L1", "B"): (BidStatus.REVOKED, OutcomeCause.KEY_REJECTED),
        ("L1", "C"): (BidStatus.WITHDRAWN, OutcomeCause.PLATFORM_FAULT),
        ("L1", "D"): (BidStatus.REVOKED, OutcomeCause.NOT_SIGNED_IN),
        ("L1", "E"): (BidStatus.REVOKED, OutcomeCause.NOT_DECRYPTED),
        ("L2", "A"): (BidStatus.OPENED, OutcomeCause.DECRYPTED),
        ("L2", "B"): (BidStatus.REVOKED, OutcomeCause.NOT_DECRYPTED),
        ("L2", "F"): (BidStatus.REVOKED, OutcomeCause.NOT_DECRYPTED),
    }
    readout = run.log[-2]
    assert isinstance(readout, e.ReadOut)
    items = {(lot.lot, line.bidder): line.items for lot in readout.lots for line in lot.lines}
    assert items[("L1", "A")] == price("L1", "A")
    assert items[("L1", "B")] is None and items[("L1", "C")] is None


def test_a_fault_for_everyone_withdraws_every_bid_left_encrypted() -> None:
    run = run_to(Phase.OPENING).start().decrypt(("L1", "A"))
    run.do(c.RecordPlatformFault(actor=HOST, bidder=None, reason="机房断电"))
    assert run.state.ends_at is not None
    run.until(run.state.ends_at).tick(summaries=run.summaries())
    closed = run.log[-3]
    assert isinstance(closed, e.DecryptionClosed)
    statuses = {(o.lot, o.bidder): o.status for o in closed.outcomes}
    assert statuses.pop(("L1", "A")) is BidStatus.OPENED
    assert set(statuses.values()) == {BidStatus.WITHDRAWN}


def test_host_closes_early_only_when_every_bid_is_decrypted() -> None:
    run = run_to(Phase.OPENING).start().sign_in("C").decrypt(("L1", "A"))
    close = c.CloseDecryption(actor=HOST, summaries=run.summaries())
    assert _code(run, close) == "decryption_incomplete"
    run.decrypt(("L1", "B"), ("L1", "C"), ("L2", "A"), ("L2", "B"), ("L2", "C"))
    wrong = c.CloseDecryption(actor=HOST, summaries={("L1", "A"): {"price": "1"}})
    assert _code(run, wrong) == "invalid_argument"
    assert run.state.read_out_at is None  # a refused close changed nothing
    extra = {**run.summaries(), ("L1", "A"): {**price("L1", "A"), "secret_note": "x"}}
    run.do(c.CloseDecryption(actor=HOST, summaries=extra))
    readout = run.log[-2]
    assert isinstance(readout, e.ReadOut)
    # Only the tender's read-out items are read out.
    assert readout.lots[0].lines[0].items == price("L1", "A")


def test_decryption_needs_sign_in_and_happens_once() -> None:
    run = run_to(Phase.OPENING).start()
    decrypt_c = c.RecordDecryption(actor=bidder("C"), bidder="C", lot="L1")
    assert _code(run, decrypt_c) == "not_signed_in"
    run.sign_in("C")
    assert run.do(c.SignIn(actor=bidder("C"), bidder="C")) == []  # a reconnect is harmless
    run.do(decrypt_c)
    assert _code(run, decrypt_c) == "already_decrypted"
    unknown = c.RecordDecryption(actor=bidder("C"), bidder="C", lot="L9")
    assert _code(run, unknown) == "unknown_bid"


def test_objections_must_be_answered_before_the_record() -> None:
    run = run_to(Phase.OPENING).start()
    run.do(c.RaiseObjection(actor=bidder("A"), bidder="A", lot="L1", text="解密超时"))
    run.sign_in("C").decrypt_all().close_decryption()
    run.do(c.RaiseObjection(actor=bidder("C"), bidder="C", lot=None, text="报价读错"))
    raised = run.log[-1]
    assert isinstance(raised, e.ObjectionRaised) and raised.bidder_name == org("C")
    assert set(run.state.objections) == {"O1", "O2"}
    run.do(c.AnswerObjection(actor=HOST, objection_id="O1", text="已延长"))
    run.end_confirmation()
    publish = c.PublishRecord(actor=HOST, sha256=SHA, signature=SIG)
    assert _code(run, publish) == "objections_unanswered"
    answer = c.AnswerObjection(actor=HOST, objection_id="O9", text="?")
    assert _code(run, answer) == "objection_unknown"
    run.do(c.AnswerObjection(actor=HOST, objection_id="O2", text="经核对无误"))
    again = c.AnswerObjection(actor=HOST, objection_id="O2", text="改口")
    assert _code(run, again) == "objection_already_answered"
    record = build_record(run.state)
    run.do(publish)
    assert phase_of(run) is Phase.CLOSED
    objections: Any = record["objections"]
    assert [(o["id"], o["bidder_name"], o["phase"], o["answer"]) for o in objections] == [
        ("O1", org("A"), "decryption", "已延长"),
        ("O2", org("C"), "confirmation", "经核对无误"),
    ]


def test_silent_bidders_are_deemed_to_accept_and_the_record_says_so() -> None:
    run = run_to(Phase.CONFIRMATION).confirm("B")
    assert _code(run, c.Confirm(actor=bidder("B"), bidder="B")) == "already_confirmed"
    assert _code(run, c.CloseConfirmation(actor=HOST)) == "confirmation_incomplete"
    run.end_confirmation()
    closed = run.log[-1]
    assert isinstance(closed, e.ConfirmationClosed)
    assert (closed.early, closed.confirmed, closed.deemed_accepted) == (False, ("B",), ("A", "C"))
    assert run.tick() == []  # a second tick finds nothing due
    record = build_record(run.state)
    assert record["deemed_accepted"] == ["A", "C"]
    confirmed: Any = record["confirmed"]
    assert [entry["bidder"] for entry in confirmed] == ["B"]
    late = c.RaiseObjection(actor=bidder("A"), bidder="A", lot=None, text="迟到的异议")
    assert _code(run, late) == "illegal_in_phase"


def test_confirmation_and_objection_close_with_the_window() -> None:
    run = run_to(Phase.CONFIRMATION)
    assert run.state.ends_at is not None
    run.until(run.state.ends_at)
    assert _code(run, c.Confirm(actor=bidder("B"), bidder="B")) == "window_closed"
    objection = c.RaiseObjection(actor=bidder("B"), bidder="B", lot=None, text="太迟")
    assert _code(run, objection) == "window_closed"


def test_reschedule_only_later_and_only_before_the_deadline() -> None:
    run = Run().schedule().wait(10)
    earlier = c.Reschedule(actor=HOST, deadline=DEADLINE - timedelta(minutes=1), reason="提前")
    assert _code(run, earlier) == "invalid_argument"
    run.do(c.Reschedule(actor=HOST, deadline=DEADLINE + timedelta(days=1), reason="答疑澄清"))
    assert run.state.next_deadline == DEADLINE + timedelta(days=1)
    assert run.state.reschedulings[0].previous_deadline == DEADLINE
    run.until(DEADLINE)
    assert run.tick(bids=()) == []  # the old deadline is not the deadline any more
    run.until(DEADLINE + timedelta(days=1))
    late = c.Reschedule(actor=HOST, deadline=DEADLINE + timedelta(days=2), reason="太迟")
    assert _code(run, late) == "window_closed"


def test_double_tick_at_the_deadline_is_harmless() -> None:
    run = Run().schedule().until(DEADLINE)
    first = run.tick()
    assert [event.kind for event in first] == [
        "deadline_passed",
        "quorum_decided",
        "quorum_decided",
    ]
    assert run.tick() == []
    assert phase_of(run) is Phase.STOPPED


def test_deadline_tick_rejects_bids_that_do_not_fit() -> None:
    run = Run().schedule().until(DEADLINE)
    from session_kit import bid

    for bad in ((bid("L9", "A", 1),), (bid("L1", "A", 1), bid("L1", "A", 2))):
        with pytest.raises(SessionError) as caught:
            decide(run.state, c.Tick(actor=SYSTEM, bids=bad), run.now)
        assert caught.value.code == "invalid_argument"


def test_scheduling_rejects_a_past_deadline_and_bad_fields() -> None:
    run = Run(now=DEADLINE + timedelta(minutes=1))
    from session_kit import schedule_command

    assert _code(run, schedule_command()) == "invalid_argument"
    with pytest.raises(SessionError) as caught:
        schedule_command(lots=())
    assert caught.value.code == "invalid_argument"
    with pytest.raises(SessionError):
        schedule_command(signin_opens_at=DEADLINE + timedelta(minutes=1))
    with pytest.raises(SessionError):
        schedule_command(deadline=DEADLINE.replace(tzinfo=None))
    with pytest.raises(SessionError):
        schedule_command(decryption_seconds=True)
    assert run.state.seq == 0


def test_abort_is_terminal_and_recorded() -> None:
    run = run_to(Phase.DECRYPTION)
    run.do(c.Abort(actor=HOST, reason="投诉暂停"))
    assert phase_of(run) is Phase.ABORTED
    assert run.state.next_deadline is None
    assert _code(run, c.Abort(actor=HOST, reason="again")) == "illegal_in_phase"
    assert build_record(run.state)["aborted"] == {
        "phase": "decryption",
        "reason": "投诉暂停",
        "at": "2026-11-27T03:03:00.000000Z",
    }


def test_evaluation_moves_forward_and_the_result_is_validated() -> None:
    run = run_to(Phase.OPENING).start().sign_in("C")
    run.decrypt(("L1", "A"), ("L1", "B"), ("L2", "A"), ("L2", "B"), ("L2", "C"))
    run.wait(40).tick(summaries=run.summaries())  # C's L1 bid is revoked
    run.confirm("A", "B", "C").do(c.CloseConfirmation(actor=HOST))
    run.publish_record().stage(EvaluationStage.QUALIFICATION, EvaluationStage.COMMERCIAL)
    back = c.SetEvaluationStage(actor=HOST, stage=EvaluationStage.TECHNICAL)
    assert _code(run, back) == "invalid_argument"

    def result(**overrides: object) -> c.PublishResult:
        fields: dict[str, object] = {
            "actor": HOST,
            "lot": "L1",
            "outcome": ResultOutcome.CANDIDATES,
            "candidates": (Candidate(bidder="A", price="990000.00", score="92.50"),),
            "reasons": {"B": Reason(clause="第4.1条", text="未按要求提供投标保证金")},
            "publicity_days": 3,
            "sha256": SHA,
            "signature": SIG,
        }
        fields.update(overrides)
        return c.PublishResult(**fields)  # type: ignore[arg-type]

    assert _code(run, result()) == "illegal_in_phase"  # the report stage comes first
    run.stage(EvaluationStage.REPORT)
    assert _code(run, result(reasons={})) == "invalid_argument"  # B needs a reason
    c_listed = (Candidate(bidder="A"), Candidate(bidder="C"))
    assert _code(run, result(candidates=c_listed)) == "invalid_argument"  # C was not opened
    assert _code(run, result(lot="L9")) == "invalid_argument"
    # A reason for a revoked bidder of the lot is allowed; it explains the revocation.
    run.do(
        result(
            reasons={
                "B": Reason(clause="4.1", text="价高"),
                "C": Reason(disposition=Disposition.NOT_RANKED, text="未解密，未参加评审"),
            }
        )
    )
    assert _code(run, result()) == "invalid_argument"  # once per lot
    assert phase_of(run) is Phase.EVALUATION
    run.result("L2", ("B", "A", "C"))
    assert phase_of(run) is Phase.RESULT_PUBLISHED


def test_a_fault_reported_after_the_window_cannot_withdraw_bids() -> None:
    run = run_to(Phase.OPENING).start()
    assert run.state.ends_at is not None
    run.until(run.state.ends_at)
    fault = c.RecordPlatformFault(actor=SYSTEM, bidder="C", reason="事后报告")
    assert _code(run, fault) == "window_closed"
    run.tick(summaries={})
    closed = run.log[-3]
    assert isinstance(closed, e.DecryptionClosed)
    assert {o.status for o in closed.outcomes} == {BidStatus.REVOKED}


def test_the_host_console_lists_bids_of_stopped_lots_too() -> None:
    run = Run().schedule().pass_deadline(THIN, signed_in=("A",))
    run.do(c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.STOP, reason="重新招标"))
    listed: Any = host_view(run.state)["bids"]
    assert [(b["lot"], b["bidder"], b["lot_stopped"]) for b in listed] == [
        ("L1", "A", True),
        ("L1", "B", True),
        ("L2", "A", False),
        ("L2", "B", False),
        ("L2", "C", False),
    ]
