"""Decisions after the read-out: confirmations, objections and answers, the signed record."""

from datetime import datetime

from . import commands as c
from . import events as e
from .decryption import require_open_window
from .errors import (
    AlreadyConfirmed,
    ConfirmationIncomplete,
    InvalidArgument,
    NotSignedIn,
    ObjectionAlreadyAnswered,
    ObjectionRepeated,
    ObjectionsUnanswered,
    ObjectionUnknown,
)
from .phases import Phase
from .state import OpeningSession


def confirm(state: OpeningSession, cmd: c.Confirm, now: datetime) -> list[e.Event]:
    require_open_window(state, now, "a confirmation")
    if cmd.bidder not in state.signed_in:
        raise NotSignedIn(f"bidder {cmd.bidder!r} must sign in first")
    if cmd.bidder in state.confirmations:
        raise AlreadyConfirmed(f"bidder {cmd.bidder!r} already confirmed")
    return [e.BidderConfirmed(at=now, bidder=cmd.bidder, signature=cmd.signature)]


def raise_objection(state: OpeningSession, cmd: c.RaiseObjection, now: datetime) -> list[e.Event]:
    # Before the read-out an objection may come at any time; after it, only within the window.
    if state.phase is Phase.CONFIRMATION:
        require_open_window(state, now, "an objection")
    if cmd.bidder not in state.signed_in:
        raise NotSignedIn(f"bidder {cmd.bidder!r} must sign in first")
    if cmd.lot is not None and cmd.lot not in {lot.id for lot in state.lots}:
        raise InvalidArgument(f"unknown lot {cmd.lot!r}", field="lot")
    if cmd.nonce and any(
        o.bidder == cmd.bidder and o.nonce == cmd.nonce for o in state.objections.values()
    ):
        raise ObjectionRepeated(f"bidder {cmd.bidder!r} already raised the objection {cmd.nonce!r}")
    # Ids follow the order of the log, so every node assigns the same one.
    objection_id = f"O{len(state.objections) + 1}"
    return [
        e.ObjectionRaised(
            at=now,
            objection_id=objection_id,
            bidder=cmd.bidder,
            bidder_name=state.name_of(cmd.bidder),
            lot=cmd.lot,
            text=cmd.text,
            nonce=cmd.nonce,
            signature=cmd.signature,
        )
    ]


def answer_objection(state: OpeningSession, cmd: c.AnswerObjection, now: datetime) -> list[e.Event]:
    objection = state.objections.get(cmd.objection_id)
    if objection is None:
        raise ObjectionUnknown(f"no objection {cmd.objection_id!r} in this session")
    if objection.answer is not None:
        raise ObjectionAlreadyAnswered(f"objection {cmd.objection_id!r} is already answered")
    return [e.ObjectionAnswered(at=now, objection_id=cmd.objection_id, text=cmd.text)]


def close_by_host(state: OpeningSession, now: datetime) -> list[e.Event]:
    # Every bidder with a bid in the session takes part, also one whose lot was stopped.
    silent = state.bidders - set(state.confirmations)
    if silent:
        raise ConfirmationIncomplete(f"{len(silent)} bidder(s) have not confirmed yet")
    return [
        e.ConfirmationClosed(
            at=now, early=True, confirmed=tuple(sorted(state.confirmations)), deemed_accepted=()
        )
    ]


def close_on_tick(state: OpeningSession, now: datetime) -> list[e.Event]:
    if not state.window_elapsed(now):
        return []
    # Silence until the window ends is acceptance, and the record names who stayed silent.
    return [
        e.ConfirmationClosed(
            at=now,
            early=False,
            confirmed=tuple(sorted(state.confirmations)),
            deemed_accepted=tuple(sorted(state.bidders - set(state.confirmations))),
        )
    ]


def publish_record(state: OpeningSession, cmd: c.PublishRecord, now: datetime) -> list[e.Event]:
    if state.unanswered:
        raise ObjectionsUnanswered(
            f"objection(s) {', '.join(state.unanswered)} need an answer before the record"
        )
    return [e.RecordPublished(at=now, sha256=cmd.sha256, signature=cmd.signature)]
