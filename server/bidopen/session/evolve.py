"""evolve(state, event) -> state: fold one event of the log into the session state."""

from collections.abc import Iterable, Mapping
from dataclasses import replace

from . import events as e
from .errors import EventRejected
from .phases import TERMINAL_PHASES, Phase
from .state import (
    EMPTY,
    Abortion,
    Bid,
    Extension,
    LotResult,
    Objection,
    OpeningSession,
    PauseSpan,
    PlatformFault,
    PublishedDocument,
    QuorumDecision,
    Rescheduling,
    ResultObjection,
    StageChange,
)
from .values import receipt_numbers

_ROOM_OPEN = frozenset({Phase.QUORUM_DECISION, Phase.OPENING, Phase.DECRYPTION, Phase.CONFIRMATION})
_TIMED = frozenset({Phase.DECRYPTION, Phase.CONFIRMATION})

# The phases in which each kind of event can follow; anything else is a corrupt log.
EVENT_PHASES: Mapping[str, frozenset[Phase]] = {
    e.SessionScheduled.kind: frozenset({Phase.UNSCHEDULED}),
    e.SessionRescheduled.kind: frozenset({Phase.SCHEDULED}),
    e.SessionAborted.kind: frozenset(Phase) - TERMINAL_PHASES - {Phase.UNSCHEDULED},
    e.DeadlinePassed.kind: frozenset({Phase.SCHEDULED}),
    e.QuorumDecided.kind: frozenset({Phase.QUORUM_DECISION}),
    e.DecryptionStarted.kind: frozenset({Phase.OPENING}),
    e.BidderSignedIn.kind: _ROOM_OPEN,
    e.BidDecrypted.kind: frozenset({Phase.DECRYPTION}),
    e.DecryptionFailed.kind: frozenset({Phase.DECRYPTION}),
    e.DecryptionExtended.kind: frozenset({Phase.DECRYPTION}),
    e.PlatformFaultRecorded.kind: frozenset({Phase.DECRYPTION}),
    e.SessionPaused.kind: _TIMED,
    e.SessionResumed.kind: _TIMED,
    e.DecryptionClosed.kind: frozenset({Phase.DECRYPTION}),
    e.ReadOut.kind: frozenset({Phase.DECRYPTION}),
    e.ConfirmationStarted.kind: frozenset({Phase.DECRYPTION}),
    e.BidderConfirmed.kind: frozenset({Phase.CONFIRMATION}),
    e.ObjectionRaised.kind: _ROOM_OPEN,
    e.ObjectionAnswered.kind: _ROOM_OPEN | {Phase.RECORD_DUE},
    e.ConfirmationClosed.kind: frozenset({Phase.CONFIRMATION}),
    e.RecordPublished.kind: frozenset({Phase.RECORD_DUE}),
    e.EvaluationStageChanged.kind: frozenset({Phase.CLOSED, Phase.EVALUATION}),
    e.ResultPublished.kind: frozenset({Phase.EVALUATION}),
    e.ResultObjectionRaised.kind: frozenset({Phase.EVALUATION, Phase.RESULT_PUBLISHED}),
    e.ResultObjectionAnswered.kind: frozenset({Phase.EVALUATION, Phase.RESULT_PUBLISHED}),
}


def evolve(state: OpeningSession, event: e.Event) -> OpeningSession:
    """The state after `event`; EventRejected if the event cannot follow this state."""
    if state.phase not in EVENT_PHASES.get(event.kind, frozenset()):
        raise EventRejected(f'event {event.kind} cannot follow phase "{state.phase}"')
    return replace(_apply(state, event), seq=state.seq + 1)


def replay(events: Iterable[e.Event]) -> OpeningSession:
    """The state a log leads to, from the empty session."""
    state = EMPTY
    for event in events:
        state = evolve(state, event)
    return state


def _apply(s: OpeningSession, event: e.Event) -> OpeningSession:
    match event:
        case e.SessionScheduled():
            return replace(
                s,
                phase=Phase.SCHEDULED,
                tender_id=event.tender_id,
                code=event.code,
                title=event.title,
                host=event.host,
                organisation=event.organisation,
                organisation_name=event.organisation_name,
                lots=event.lots,
                deadline=event.deadline,
                signin_opens_at=event.signin_opens_at,
                decryption_seconds=event.decryption_seconds,
                confirmation_seconds=event.confirmation_seconds,
                readout_items=event.readout_items,
                parties=event.parties,
                demo_publicity_seconds=event.demo_publicity_seconds,
                scheduled_at=event.at,
            )
        case e.SessionRescheduled():
            change = Rescheduling(
                previous_deadline=event.previous_deadline,
                deadline=event.deadline,
                reason=event.reason,
                at=event.at,
            )
            return replace(s, deadline=event.deadline, reschedulings=(*s.reschedulings, change))
        case e.SessionAborted():
            abortion = Abortion(phase=event.phase, reason=event.reason, at=event.at)
            return replace(s, phase=Phase.ABORTED, abortion=abortion)
        case e.DeadlinePassed():
            numbers = receipt_numbers(event.bids)
            bids = {
                (b.lot, b.bidder): Bid(
                    lot=b.lot,
                    bidder=b.bidder,
                    bidder_name=b.bidder_name,
                    bid_sha256=b.bid_sha256,
                    receipt_no=numbers[(b.lot, b.bidder)],
                )
                for b in event.bids
            }
            # Sign-ins before the deadline were private; they count from the deadline on.
            signed_in = dict.fromkeys(event.signed_in, event.at)
            after = replace(
                s,
                deadline_passed_at=event.at,
                bids=bids,
                signed_in=signed_in,
                quorum_warnings=event.quorum_warnings,
            )
            return replace(after, phase=_phase_after_quorum(after))
        case e.QuorumDecided():
            decision = QuorumDecision(
                lot=event.lot,
                choice=event.choice,
                reason=event.reason,
                automatic=event.automatic,
                at=event.at,
            )
            after = replace(s, quorum={**s.quorum, event.lot: decision})
            return replace(after, phase=_phase_after_quorum(after))
        case e.DecryptionStarted():
            return replace(
                s, phase=Phase.DECRYPTION, decryption_started_at=event.at, ends_at=event.ends_at
            )
        case e.BidderSignedIn():
            return replace(s, signed_in={**s.signed_in, event.bidder: event.at})
        case e.BidDecrypted():
            bid = _bid(s, event.lot, event.bidder)
            return _with_bid(s, replace(bid, decrypted_at=event.at))
        case e.DecryptionFailed():
            bid = _bid(s, event.lot, event.bidder)
            return _with_bid(s, replace(bid, failed_attempts=event.attempt))
        case e.DecryptionExtended():
            extension = Extension(
                seconds=event.seconds, reason=event.reason, ends_at=event.ends_at, at=event.at
            )
            return replace(s, ends_at=event.ends_at, extensions=(*s.extensions, extension))
        case e.PlatformFaultRecorded():
            fault = PlatformFault(
                bidder=event.bidder, reason=event.reason, reported_by=event.reported_by, at=event.at
            )
            return replace(s, faults=(*s.faults, fault))
        case e.SessionPaused():
            if s.paused:
                raise EventRejected("the session is paused already")
            span = PauseSpan(phase=s.phase, reason=event.reason, started_at=event.at)
            return replace(s, pauses=(*s.pauses, span))
        case e.SessionResumed():
            if not s.paused:
                raise EventRejected("the session is not paused")
            ended = replace(s.pauses[-1], ended_at=event.at)
            return replace(s, pauses=(*s.pauses[:-1], ended), ends_at=event.ends_at)
        case e.DecryptionClosed():
            if s.decryption_closed_at is not None:
                raise EventRejected("decryption closes once")
            bids = dict(s.bids)
            for outcome in event.outcomes:
                bid = _bid(s, outcome.lot, outcome.bidder)
                bids[bid.key] = replace(bid, outcome=outcome)
            return replace(
                s, bids=bids, decryption_closed_at=event.at, decryption_closed_by_host=event.by_host
            )
        case e.ReadOut():
            if s.decryption_closed_at is None or s.read_out_at is not None:
                raise EventRejected("the read-out follows the close of decryption, once")
            return replace(s, readout=event.lots, read_out_at=event.at, read_out_seq=s.seq + 1)
        case e.ConfirmationStarted():
            if s.read_out_at is None:
                raise EventRejected("confirmation starts after the read-out")
            return replace(
                s,
                phase=Phase.CONFIRMATION,
                confirmation_started_at=event.at,
                ends_at=event.ends_at,
            )
        case e.BidderConfirmed():
            return replace(
                s,
                confirmations={**s.confirmations, event.bidder: event.at},
                confirmation_signatures={
                    **s.confirmation_signatures,
                    event.bidder: event.signature,
                },
            )
        case e.ObjectionRaised():
            objection = Objection(
                id=event.objection_id,
                bidder=event.bidder,
                bidder_name=event.bidder_name,
                lot=event.lot,
                text=event.text,
                phase=s.phase,
                raised_at=event.at,
                nonce=event.nonce,
                signature=event.signature,
            )
            return replace(s, objections={**s.objections, objection.id: objection})
        case e.ObjectionAnswered():
            found = s.objections.get(event.objection_id)
            if found is None:
                raise EventRejected(f"no objection {event.objection_id}")
            answered = replace(found, answer=event.text, answered_at=event.at)
            return replace(s, objections={**s.objections, found.id: answered})
        case e.ConfirmationClosed():
            return replace(
                s,
                phase=Phase.RECORD_DUE,
                ends_at=None,
                confirmation_closed_at=event.at,
                confirmation_closed_early=event.early,
                deemed_accepted=event.deemed_accepted,
            )
        case e.RecordPublished():
            record = PublishedDocument(sha256=event.sha256, signature=event.signature, at=event.at)
            return replace(s, phase=Phase.CLOSED, record=record)
        case e.EvaluationStageChanged():
            stage = StageChange(stage=event.stage, at=event.at)
            return replace(s, phase=Phase.EVALUATION, stages=(*s.stages, stage))
        case e.ResultPublished():
            result = LotResult(
                lot=event.lot,
                outcome=event.outcome,
                candidates=event.candidates,
                reasons=event.reasons,
                failure=event.failure,
                publicity_days=event.publicity_days,
                publicity_ends_at=event.publicity_ends_at,
                document=PublishedDocument(
                    sha256=event.sha256, signature=event.signature, at=event.at
                ),
            )
            after = replace(s, results={**s.results, event.lot: result})
            done = not after.lots_awaiting_result
            return replace(after, phase=Phase.RESULT_PUBLISHED if done else Phase.EVALUATION)
        case e.ResultObjectionRaised():
            if event.lot not in s.results:
                raise EventRejected(f"no result of lot {event.lot} to object to")
            raised = ResultObjection(
                id=event.objection_id,
                lot=event.lot,
                bidder=event.bidder,
                bidder_name=event.bidder_name,
                text=event.text,
                raised_at=event.at,
                answer_due_at=event.answer_due_at,
                nonce=event.nonce,
                signature=event.signature,
            )
            return replace(s, result_objections={**s.result_objections, raised.id: raised})
        case e.ResultObjectionAnswered():
            pending = s.result_objections.get(event.objection_id)
            if pending is None or pending.answer is not None:
                raise EventRejected(f"no unanswered objection {event.objection_id}")
            closed = replace(pending, answer=event.text, answered_at=event.at, late=event.late)
            return replace(s, result_objections={**s.result_objections, closed.id: closed})
    raise EventRejected(f"no rule for event {event.kind}")


def _phase_after_quorum(s: OpeningSession) -> Phase:
    if s.pending_quorum:
        return Phase.QUORUM_DECISION
    if len(s.stopped_lots) == len(s.lots):
        return Phase.STOPPED
    return Phase.OPENING


def _bid(s: OpeningSession, lot: str, bidder: str) -> Bid:
    bid = s.bids.get((lot, bidder))
    if bid is None:
        raise EventRejected(f"no bid of {bidder} in lot {lot}")
    return bid


def _with_bid(s: OpeningSession, bid: Bid) -> OpeningSession:
    return replace(s, bids={**s.bids, bid.key: bid})
