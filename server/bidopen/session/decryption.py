"""Decisions of the decryption window: sign-in, keys, faults, extension, pause, read-out."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from bidseal.readout import ItemType, exceeds_ceiling, reason

from . import commands as c
from . import events as e
from .errors import (
    AlreadyDecrypted,
    DecryptionIncomplete,
    InvalidArgument,
    LotStopped,
    NotPaused,
    NotSignedIn,
    UnknownBid,
    WindowClosed,
)
from .state import Bid, OpeningSession
from .values import BidOutcome, BidStatus, Lot, LotReadout, OutcomeCause, ReadoutLine


def start(state: OpeningSession, now: datetime) -> list[e.Event]:
    return [e.DecryptionStarted(at=now, ends_at=now + timedelta(seconds=state.decryption_seconds))]


def sign_in(state: OpeningSession, cmd: c.SignIn, now: datetime) -> list[e.Event]:
    # Signing in twice (a reconnect) changes nothing and is not an error.
    if cmd.bidder in state.signed_in:
        return []
    return [e.BidderSignedIn(at=now, bidder=cmd.bidder)]


def require_open_window(state: OpeningSession, now: datetime, what: str) -> None:
    if state.window_elapsed(now):
        raise WindowClosed(f"the window ended at its deadline; {what} is too late")


def _bid_to_decrypt(state: OpeningSession, bidder: str, lot: str, now: datetime) -> Bid:
    require_open_window(state, now, "decryption")
    if bidder not in state.signed_in:
        raise NotSignedIn(f"bidder {bidder!r} must sign in first")
    bid = state.bids.get((lot, bidder))
    if bid is None:
        raise UnknownBid(f"bidder {bidder!r} has no bid in lot {lot!r}")
    if lot in state.stopped_lots:
        raise LotStopped(f"lot {lot!r} was stopped")
    if bid.decrypted_at is not None:
        raise AlreadyDecrypted(f"the bid of {bidder!r} in lot {lot!r} is already decrypted")
    return bid


def record_decryption(
    state: OpeningSession, cmd: c.RecordDecryption, now: datetime
) -> list[e.Event]:
    _bid_to_decrypt(state, cmd.bidder, cmd.lot, now)
    return [e.BidDecrypted(at=now, lot=cmd.lot, bidder=cmd.bidder)]


def record_failure(
    state: OpeningSession, cmd: c.RecordDecryptionFailure, now: datetime
) -> list[e.Event]:
    bid = _bid_to_decrypt(state, cmd.bidder, cmd.lot, now)
    return [
        e.DecryptionFailed(
            at=now,
            lot=cmd.lot,
            bidder=cmd.bidder,
            reason_code=cmd.reason_code,
            attempt=bid.failed_attempts + 1,
        )
    ]


def extend(state: OpeningSession, cmd: c.ExtendDecryption, now: datetime) -> list[e.Event]:
    # An ended window stays ended: reopening it would favour whoever missed it.
    require_open_window(state, now, "an extension")
    assert state.ends_at is not None
    ends_at = state.ends_at + timedelta(seconds=cmd.seconds)
    return [e.DecryptionExtended(at=now, seconds=cmd.seconds, reason=cmd.reason, ends_at=ends_at)]


def record_fault(state: OpeningSession, cmd: c.RecordPlatformFault, now: datetime) -> list[e.Event]:
    # A fault after the window ended could withdraw bids after the fact.
    require_open_window(state, now, "a platform fault")
    if cmd.bidder is not None and cmd.bidder not in state.bidders:
        raise InvalidArgument(f"bidder {cmd.bidder!r} has no bid in this session", field="bidder")
    return [
        e.PlatformFaultRecorded(
            at=now, bidder=cmd.bidder, reason=cmd.reason, reported_by=cmd.actor.role
        )
    ]


def pause(state: OpeningSession, cmd: c.Pause, now: datetime) -> list[e.Event]:
    require_open_window(state, now, "a pause")
    return [e.SessionPaused(at=now, reason=cmd.reason)]


def resume(state: OpeningSession, now: datetime) -> list[e.Event]:
    if not state.paused:
        raise NotPaused("the session is not paused")
    assert state.ends_at is not None
    # A clock that went back must not shorten the window.
    paused_for = max(now - state.pauses[-1].started_at, timedelta(0))
    return [e.SessionResumed(at=now, ends_at=state.ends_at + paused_for)]


def close_by_host(state: OpeningSession, cmd: c.CloseDecryption, now: datetime) -> list[e.Event]:
    waiting = [bid for bid in state.live_bids if bid.decrypted_at is None]
    if waiting:
        raise DecryptionIncomplete(f"{len(waiting)} bid(s) are not decrypted yet")
    return _close(state, cmd.summaries, now, by_host=True)


def close_on_tick(state: OpeningSession, tick: c.Tick, now: datetime) -> list[e.Event]:
    if not state.window_elapsed(now):
        return []
    return _close(state, tick.summaries, now, by_host=False)


def _close(
    state: OpeningSession, summaries: c.Summaries, now: datetime, *, by_host: bool
) -> list[e.Event]:
    """Classify every live bid and read all opened summaries out together."""
    bids = state.live_bids
    decrypted = {bid.key for bid in bids if bid.decrypted_at is not None}
    given = set(summaries)
    if given != decrypted:
        missing = sorted(decrypted - given)
        extra = sorted(given - decrypted)
        raise InvalidArgument(
            f"summaries must cover exactly the decrypted bids (missing {missing}, extra {extra})"
        )
    outcomes = tuple(_classify(state, bid, summaries) for bid in bids)
    names = state.bidder_names
    lots = []
    for lot in state.lots:
        lines = tuple(
            _readout_line(state, lot, outcome, names.get(outcome.bidder, ""), summaries)
            for outcome in outcomes
            if outcome.lot == lot.id
        )
        if lines:
            lots.append(LotReadout(lot=lot.id, lines=lines))
    return [
        e.DecryptionClosed(at=now, by_host=by_host, outcomes=outcomes),
        e.ReadOut(at=now, lots=tuple(lots)),
        e.ConfirmationStarted(at=now, ends_at=now + timedelta(seconds=state.confirmation_seconds)),
    ]


def _readout_line(
    state: OpeningSession, lot: Lot, outcome: BidOutcome, name: str, summaries: c.Summaries
) -> ReadoutLine:
    items = _readout_items(state, summaries, outcome)
    above = tuple(
        item.key
        for item in state.readout_items
        if item.type is ItemType.AMOUNT
        and items is not None
        and item.key in items
        and exceeds_ceiling(items[item.key], lot.ceiling)
    )
    return ReadoutLine(
        bidder=outcome.bidder,
        bidder_name=name,
        status=outcome.status,
        items=items,
        above_ceiling=above,
        cause=None if outcome.status is BidStatus.OPENED else outcome.cause,
        item=outcome.item,
    )


def _readout_items(
    state: OpeningSession, summaries: c.Summaries, outcome: BidOutcome
) -> Mapping[str, str] | None:
    """The tender's read-out items of an opened bid; other summary members are not read out."""
    if outcome.status is not BidStatus.OPENED:
        return None
    summary = summaries[(outcome.lot, outcome.bidder)]
    return {item.key: summary[item.key] for item in state.readout_items if item.key in summary}


def _item_not_of_type(state: OpeningSession, summary: Mapping[str, str]) -> str:
    """The first read-out item whose sealed value breaks its type, or ''."""
    for item in state.readout_items:
        if item.key in summary and reason(item.type, summary[item.key], max_length=item.max_length):
            return item.key
    return ""


def _classify(state: OpeningSession, bid: Bid, summaries: c.Summaries) -> BidOutcome:
    if bid.decrypted_at is not None:
        broken = _item_not_of_type(state, summaries[bid.key])
        if broken:
            # Not read out as typed: the public sees which item broke its type, not the value.
            return BidOutcome(
                lot=bid.lot,
                bidder=bid.bidder,
                status=BidStatus.REVOKED,
                cause=OutcomeCause.VALUE_NOT_OF_TYPE,
                item=broken,
            )
        status, cause = BidStatus.OPENED, OutcomeCause.DECRYPTED
    elif any(fault.bidder in (None, bid.bidder) for fault in state.faults):
        # Faults are recorded only during the window, so any recorded fault counts.
        status, cause = BidStatus.WITHDRAWN, OutcomeCause.PLATFORM_FAULT
    elif bid.failed_attempts:
        status, cause = BidStatus.REVOKED, OutcomeCause.KEY_REJECTED
    elif bid.bidder not in state.signed_in:
        status, cause = BidStatus.REVOKED, OutcomeCause.NOT_SIGNED_IN
    else:
        status, cause = BidStatus.REVOKED, OutcomeCause.NOT_DECRYPTED
    return BidOutcome(lot=bid.lot, bidder=bid.bidder, status=status, cause=cause)
