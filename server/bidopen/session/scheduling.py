"""Decisions before decryption: scheduling, the deadline, the quorum choice, aborting."""

from datetime import datetime

from . import commands as c
from . import events as e
from .errors import InvalidArgument, TenderedByLaw, WindowClosed
from .state import OpeningSession
from .validate import as_utc, check_unique
from .values import MIN_BIDS, BidEntry, QuorumChoice, receipt_numbers

# Recorded as the reason when a lot with no bid is stopped without asking the host.
NO_BIDS_REASON = "no_bids"


def schedule(cmd: c.ScheduleSession, now: datetime) -> list[e.Event]:
    deadline = as_utc(cmd.deadline)
    if deadline <= now:
        raise InvalidArgument("the deadline must be in the future", field="deadline")
    return [
        e.SessionScheduled(
            at=now,
            tender_id=cmd.tender_id,
            code=cmd.code,
            title=cmd.title,
            host=cmd.host,
            organisation=cmd.organisation,
            organisation_name=cmd.organisation_name,
            lots=cmd.lots,
            deadline=deadline,
            signin_opens_at=as_utc(cmd.signin_opens_at),
            decryption_seconds=cmd.decryption_seconds,
            confirmation_seconds=cmd.confirmation_seconds,
            readout_items=cmd.readout_items,
            parties=cmd.parties,
            demo_publicity_seconds=cmd.demo_publicity_seconds,
        )
    ]


def reschedule(state: OpeningSession, cmd: c.Reschedule, now: datetime) -> list[e.Event]:
    assert state.deadline is not None
    # Once the instant has passed the bids are closed, even if the tick is still on its way.
    if now >= state.deadline:
        raise WindowClosed("the deadline has passed; it can no longer be moved")
    deadline = as_utc(cmd.deadline)
    if deadline <= state.deadline:
        raise InvalidArgument("a deadline may only move later", field="deadline")
    return [
        e.SessionRescheduled(
            at=now, previous_deadline=state.deadline, deadline=deadline, reason=cmd.reason
        )
    ]


def abort(state: OpeningSession, cmd: c.Abort, now: datetime) -> list[e.Event]:
    return [e.SessionAborted(at=now, phase=state.phase, reason=cmd.reason)]


def pass_deadline(state: OpeningSession, tick: c.Tick, now: datetime) -> list[e.Event]:
    """At the deadline: name the bids for the first time, warn on thin lots, stop empty ones."""
    assert state.deadline is not None
    if now < state.deadline:
        return []
    bids = _ordered_bids(state, tick.bids)
    counts = {lot.id: sum(1 for bid in bids if bid.lot == lot.id) for lot in state.lots}
    bidders = {bid.bidder for bid in bids}
    # Someone who signed in without a bid takes no part in the opening.
    signed_in = tuple(sorted(set(tick.signed_in) & bidders))
    warnings = tuple(lot for lot, n in counts.items() if 0 < n < MIN_BIDS)
    events: list[e.Event] = [
        e.DeadlinePassed(
            at=now,
            deadline=state.deadline,
            bids=bids,
            counts=counts,
            signed_in=signed_in,
            quorum_warnings=warnings,
        )
    ]
    events.extend(
        e.QuorumDecided(
            at=now, lot=lot, choice=QuorumChoice.STOP, reason=NO_BIDS_REASON, automatic=True
        )
        for lot, n in counts.items()
        if n == 0
    )
    return events


def _ordered_bids(state: OpeningSession, bids: tuple[BidEntry, ...]) -> tuple[BidEntry, ...]:
    order = {lot.id: i for i, lot in enumerate(state.lots)}
    for bid in bids:
        if bid.lot not in order:
            raise InvalidArgument(f"bid of {bid.bidder!r} names unknown lot {bid.lot!r}")
    check_unique("bids (lot, bidder)", (f"{bid.lot}\x00{bid.bidder}" for bid in bids))
    names: dict[str, str] = {}
    for bid in bids:
        # One registration, one name: two names for a bidder would make the record ambiguous.
        if names.setdefault(bid.bidder, bid.bidder_name) != bid.bidder_name:
            raise InvalidArgument(f"bidder {bid.bidder!r} is named differently in two bids")
    numbers = receipt_numbers(bids)
    return tuple(
        sorted(bids, key=lambda bid: (order[bid.lot], numbers[(bid.lot, bid.bidder)], bid.bidder))
    )


def decide_quorum(state: OpeningSession, cmd: c.DecideQuorum, now: datetime) -> list[e.Event]:
    if cmd.lot not in state.pending_quorum:
        raise InvalidArgument(f"lot {cmd.lot!r} does not wait for a quorum decision", field="lot")
    if state.parties.tendered_by_law and cmd.choice is QuorumChoice.CONTINUE:
        raise TenderedByLaw(
            f"lot {cmd.lot!r} has fewer than {MIN_BIDS} bids in a project tendered by law"
        )
    return [
        e.QuorumDecided(at=now, lot=cmd.lot, choice=cmd.choice, reason=cmd.reason, automatic=False)
    ]
