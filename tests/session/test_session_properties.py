"""Random legal command sequences: every event applies, seq counts them, replay agrees."""

import json
from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import event as count_outcome
from hypothesis import strategies as st
from session_kit import HOST, SHA, SIG, SYSTEM, Run, bidder, bids, price

from bidopen.session import OpeningSession, Phase, decide, evolve, public_view, replay
from bidopen.session import commands as c
from bidopen.session.errors import SessionError
from bidopen.session.events import DeadlinePassed, Event, event_from_payload
from bidopen.session.values import (
    BidEntry,
    Candidate,
    EvaluationStage,
    Lot,
    QuorumChoice,
    Reason,
    ResultOutcome,
)

# Long, distinctive names, so that a leak before the deadline shows in any payload text.
BIDDERS = ("甲建设集团", "乙路桥公司", "丙市政工程", "丁监理咨询")


def _summaries(state: OpeningSession) -> dict[tuple[str, str], dict[str, str]]:
    return {b.key: price(b.lot, b.bidder) for b in state.live_bids if b.decrypted_at is not None}


def _candidates(
    state: OpeningSession, entries: Sequence[BidEntry], signed: tuple[str, ...], abort: bool
) -> list[c.Command]:
    """Commands worth trying now; most are legal in some state, none is built to be absurd."""
    out: list[c.Command] = [
        c.Tick(actor=SYSTEM, bids=tuple(entries), signed_in=signed, summaries=_summaries(state)),
        c.StartDecryption(actor=HOST),
        c.ExtendDecryption(actor=HOST, seconds=300, reason="补时"),
        c.RecordPlatformFault(actor=HOST, bidder=None, reason="全网故障"),
        c.Pause(actor=HOST, reason="暂停"),
        c.Resume(actor=HOST),
        c.CloseDecryption(actor=HOST, summaries=_summaries(state)),
        c.CloseConfirmation(actor=HOST),
        c.PublishRecord(actor=HOST, sha256=SHA, signature=SIG),
    ]
    if state.deadline is not None and not state.reschedulings:
        out.append(
            c.Reschedule(actor=HOST, deadline=state.deadline + timedelta(hours=1), reason="延期")
        )
    if abort:
        out.append(c.Abort(actor=HOST, reason="终止"))
    for lot in state.pending_quorum:
        for choice in QuorumChoice:
            out.append(c.DecideQuorum(actor=HOST, lot=lot, choice=choice, reason="主持人决定"))
    for name in BIDDERS:
        me = bidder(name)
        out += [
            c.SignIn(actor=me, bidder=name),
            c.Confirm(actor=me, bidder=name),
            c.RaiseObjection(actor=me, bidder=name, lot=None, text="异议"),
            c.RecordPlatformFault(actor=SYSTEM, bidder=name, reason="连接中断"),
        ]
    for entry in entries:
        me = bidder(entry.bidder)
        out += [
            c.RecordDecryption(actor=me, bidder=entry.bidder, lot=entry.lot),
            c.RecordDecryptionFailure(
                actor=me, bidder=entry.bidder, lot=entry.lot, reason_code="wrong_key"
            ),
        ]
    out += [
        c.AnswerObjection(actor=HOST, objection_id=objection_id, text="答复")
        for objection_id in state.objections
    ]
    out += [c.SetEvaluationStage(actor=HOST, stage=stage) for stage in EvaluationStage]
    for lot in state.lots_awaiting_result:
        opened = state.opened_bidders(lot)
        out.append(
            c.PublishResult(
                actor=HOST,
                lot=lot,
                outcome=ResultOutcome.CANDIDATES if opened else ResultOutcome.FAILED,
                candidates=tuple(Candidate(bidder=name) for name in opened[:3]),
                reasons={name: Reason(clause="3.1", text="否决投标") for name in opened[3:]},
                failure="" if opened else "无有效投标，流标",
                publicity_days=5,
                sha256=SHA,
                signature=SIG,
            )
        )
    for lot in state.results:
        out += [
            c.RaiseResultObjection(actor=bidder(name), bidder=name, lot=lot, text="异议")
            for name in sorted(state.lot_bidders(lot))
        ]
    out += [
        c.AnswerResultObjection(actor=HOST, objection_id=objection_id, text="答复")
        for objection_id in state.result_objections
    ]
    return out


def _apply(state: OpeningSession, events: list[Event]) -> OpeningSession:
    for event in events:
        after = evolve(state, event)
        assert after.seq == state.seq + 1
        kind, text = event.kind, json.dumps(event.to_payload(), ensure_ascii=False)
        assert event_from_payload(kind, json.loads(text)) == event
        state = after
    return state


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_legal_sequences(data: st.DataObject) -> None:
    lot_count = data.draw(st.integers(1, 3), label="lots")
    lots = tuple(Lot(id=f"L{i}", name=f"第{i}标段") for i in range(1, lot_count + 1))
    run = Run().schedule(lots=lots)
    plan = {
        lot.id: tuple(data.draw(st.lists(st.sampled_from(BIDDERS), unique=True, max_size=4)))
        for lot in lots
    }
    entries = bids(plan)
    signed = tuple(
        data.draw(st.lists(st.sampled_from(BIDDERS), unique=True, max_size=4), label="signed")
    )
    for _ in range(data.draw(st.integers(20, 80), label="steps")):
        due = run.state.next_deadline
        if due is not None and due > run.now and data.draw(st.booleans(), label="jump"):
            run.until(due)  # land exactly on a deadline, the interesting instant
        else:
            run.wait(data.draw(st.integers(0, 20), label="minutes"))
        abort = data.draw(st.integers(0, 30), label="abort") == 0
        legal = []
        for candidate in _candidates(run.state, entries, signed, abort):
            # A refused command changes nothing: the state object is immutable.
            with suppress(SessionError):
                legal.append((candidate, decide(run.state, candidate, run.now)))
        command, events = data.draw(st.sampled_from(legal), label="command")
        assert decide(run.state, command, run.now) == events  # pure: same input, same events
        run.state = _apply(run.state, events)
        run.log.extend(events)
        # The hall learns who bid (ids and organisations) only from the read-out on.
        if run.state.read_out_at is None:
            screen = json.dumps(public_view(run.state), ensure_ascii=False)
            assert not any(name in screen for name in BIDDERS)

    count_outcome(f"ended in {run.state.phase}")  # shown by --hypothesis-show-statistics
    assert run.state.seq == len(run.log)
    assert replay(run.log) == run.state
    kinds = [event.kind for event in run.log]
    assert kinds.count("read_out") <= 1
    assert kinds.count("deadline_passed") <= 1
    if "read_out" in kinds:
        assert kinds[kinds.index("read_out") - 1] == "decryption_closed"
    # Secrecy: nothing logged before the deadline names a bidder.
    for event in run.log:
        if isinstance(event, DeadlinePassed):
            break
        text = json.dumps(event.to_payload(), ensure_ascii=False)
        assert not any(name in text for name in BIDDERS)
    if run.state.paused or run.state.phase not in (
        Phase.SCHEDULED,
        Phase.DECRYPTION,
        Phase.CONFIRMATION,
    ):
        assert run.state.next_deadline is None
