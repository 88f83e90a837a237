"""Decisions of the evaluation after the opening: its stages and each lot's published result."""

from datetime import datetime

from . import commands as c
from . import events as e
from .errors import IllegalInPhase, InvalidArgument, LotStopped
from .publicity import publicity_period
from .state import OpeningSession
from .values import EvaluationStage


def set_stage(state: OpeningSession, cmd: c.SetEvaluationStage, now: datetime) -> list[e.Event]:
    current = state.evaluation_stage
    if current is not None and cmd.stage.rank <= current.rank:
        raise InvalidArgument(
            f"the evaluation is at {current}; stages only move forward", field="stage"
        )
    return [e.EvaluationStageChanged(at=now, stage=cmd.stage)]


def publish_result(state: OpeningSession, cmd: c.PublishResult, now: datetime) -> list[e.Event]:
    if state.evaluation_stage is not EvaluationStage.REPORT:
        raise IllegalInPhase(cmd.name, state.phase, "the evaluation report stage comes first")
    if cmd.lot not in {lot.id for lot in state.lots}:
        raise InvalidArgument(f"unknown lot {cmd.lot!r}", field="lot")
    if cmd.lot in state.stopped_lots:
        raise LotStopped(f"lot {cmd.lot!r} was stopped")
    if cmd.lot not in state.lots_awaiting_result:
        raise InvalidArgument(f"lot {cmd.lot!r} has a result already or no bid", field="lot")
    opened = set(state.opened_bidders(cmd.lot))
    candidates = [candidate.bidder for candidate in cmd.candidates]
    outsiders = sorted(set(candidates) - opened)
    if outsiders:
        raise InvalidArgument(
            f"only opened bids can be candidates; not opened: {outsiders}", field="candidates"
        )
    strangers = sorted(set(cmd.reasons) - state.lot_bidders(cmd.lot))
    if strangers:
        raise InvalidArgument(
            f"reasons name bidders without a bid in the lot: {strangers}", field="reasons"
        )
    unexplained = sorted(opened - set(candidates) - set(cmd.reasons))
    if unexplained:
        raise InvalidArgument(
            f"every opened bid that is no candidate needs its reason; missing: {unexplained}",
            field="reasons",
        )
    return [
        e.ResultPublished(
            at=now,
            lot=cmd.lot,
            outcome=cmd.outcome,
            candidates=cmd.candidates,
            reasons=dict(cmd.reasons),
            failure=cmd.failure,
            publicity_days=cmd.publicity_days,
            publicity_ends_at=now + publicity_period(state, cmd.publicity_days),
            sha256=cmd.sha256,
            signature=cmd.signature,
        )
    ]
