"""The publicity of a lot's result (公示): its period, its status, objections and answers."""

from datetime import datetime, timedelta
from enum import StrEnum

from . import commands as c
from . import events as e
from .errors import (
    NotPermitted,
    ObjectionAlreadyAnswered,
    ObjectionRepeated,
    ObjectionUnknown,
    PublicityOver,
    ResultNotPublished,
)
from .state import LotResult, OpeningSession

ANSWER_DAYS = 3  # the host answers an objection to a result within three days (实施条例 art. 54)


class PublicityStatus(StrEnum):
    """Where a published result stands: in its publicity period (公示中) or past it (公示结束)."""

    RUNNING = "running"
    ENDED = "ended"


def publicity_period(state: OpeningSession, days: int) -> timedelta:
    """How long a result of this session is public for objections: the days the host set, or
    for a demo tender the shortened period stated when it was scheduled."""
    if state.demo_publicity_seconds is not None:
        return timedelta(seconds=state.demo_publicity_seconds)
    return timedelta(days=days)


def answer_period(state: OpeningSession) -> timedelta:
    """How long the host has to answer an objection to a result (a demo's: its publicity)."""
    if state.demo_publicity_seconds is not None:
        return timedelta(seconds=state.demo_publicity_seconds)
    return timedelta(days=ANSWER_DAYS)


def publicity_status(result: LotResult, now: datetime) -> PublicityStatus:
    return PublicityStatus.RUNNING if now < result.publicity_ends_at else PublicityStatus.ENDED


def raise_objection(
    state: OpeningSession, cmd: c.RaiseResultObjection, now: datetime
) -> list[e.Event]:
    result = state.results.get(cmd.lot)
    if result is None:
        raise ResultNotPublished(f"lot {cmd.lot!r} has no published result to object to")
    if cmd.bidder not in state.lot_bidders(cmd.lot):
        raise NotPermitted(f"only a bidder of lot {cmd.lot!r} may object to its result")
    if publicity_status(result, now) is PublicityStatus.ENDED:
        raise PublicityOver(f"the publicity of lot {cmd.lot!r} ended; no objection is taken now")
    if cmd.nonce and any(
        o.bidder == cmd.bidder and o.nonce == cmd.nonce for o in state.result_objections.values()
    ):
        raise ObjectionRepeated(f"bidder {cmd.bidder!r} already raised the objection {cmd.nonce!r}")
    # Ids follow the order of the log, so every node assigns the same one.
    objection_id = f"R{len(state.result_objections) + 1}"
    return [
        e.ResultObjectionRaised(
            at=now,
            objection_id=objection_id,
            lot=cmd.lot,
            bidder=cmd.bidder,
            bidder_name=state.name_of(cmd.bidder),
            text=cmd.text,
            answer_due_at=now + answer_period(state),
            nonce=cmd.nonce,
            signature=cmd.signature,
        )
    ]


def answer_objection(
    state: OpeningSession, cmd: c.AnswerResultObjection, now: datetime
) -> list[e.Event]:
    objection = state.result_objections.get(cmd.objection_id)
    if objection is None:
        raise ObjectionUnknown(f"no objection {cmd.objection_id!r} to a result in this session")
    if objection.answer is not None:
        raise ObjectionAlreadyAnswered(f"objection {cmd.objection_id!r} is already answered")
    # An overdue answer is still given (the bidder is owed one) and marked late for all to see.
    return [
        e.ResultObjectionAnswered(
            at=now,
            objection_id=objection.id,
            text=cmd.text,
            late=now > objection.answer_due_at,
        )
    ]
