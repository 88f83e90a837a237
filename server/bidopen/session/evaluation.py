"""Decisions of the evaluation after the opening: its stages and each lot's published result."""

from datetime import datetime, timedelta

from . import commands as c
from . import events as e
from .errors import IllegalInPhase, InvalidArgument, LotStopped
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
        raise InvalidArgument(f"lot {cmd.lot!r} has a result already or no opened bid", field="lot")
    opened = set(state.opened_bidders(cmd.lot))
    outsiders = sorted(set(cmd.ranked) - opened)
    if outsiders:
        raise InvalidArgument(
            f"only opened bids can be ranked; not opened: {outsiders}", field="ranked"
        )
    lot_bidders = {bidder for lot, bidder in state.bids if lot == cmd.lot}
    strangers = sorted(set(cmd.reasons) - lot_bidders)
    if strangers:
        raise InvalidArgument(
            f"reasons name bidders without a bid in the lot: {strangers}", field="reasons"
        )
    unexplained = sorted(opened - {cmd.winner} - set(cmd.reasons))
    if unexplained:
        raise InvalidArgument(
            f"every other opened bidder needs a reason; missing: {unexplained}", field="reasons"
        )
    return [
        e.ResultPublished(
            at=now,
            lot=cmd.lot,
            ranked=cmd.ranked,
            winner=cmd.winner,
            reasons=dict(cmd.reasons),
            publicity_days=cmd.publicity_days,
            publicity_ends_at=now + timedelta(days=cmd.publicity_days),
            sha256=cmd.sha256,
            signature=cmd.signature,
        )
    ]
