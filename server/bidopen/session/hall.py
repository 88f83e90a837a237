"""The opening hall's rows (pure): a row per bid from the deadline on, named at the read-out.

Before the read-out the hall may learn how many bids each lot has and how each is getting
on (signed in, decrypted, a failed attempt, a recorded platform fault), never whose it
is: a row is "bidder n" of its lot, n in receipt order, which is also the read-out's
order, so the names fill in at the read-out row by row.
"""

from collections.abc import Mapping

from .codec import JSON
from .state import Bid, OpeningSession

# bidder -> ((lot, number), ...): the rows a bidder's bids have in the hall.
BidNumbers = Mapping[str, tuple[tuple[str, int], ...]]


def numbered_bids(state: OpeningSession) -> tuple[tuple[int, Bid], ...]:
    """Every bid with its number in its lot (1..n, receipt order); none before the deadline."""
    if state.deadline_passed_at is None:
        return ()
    numbered: list[tuple[int, Bid]] = []
    next_number: dict[str, int] = {}
    for bid in state.ordered_bids:
        next_number[bid.lot] = next_number.get(bid.lot, 0) + 1
        numbered.append((next_number[bid.lot], bid))
    return tuple(numbered)


def bid_numbers(state: OpeningSession) -> BidNumbers:
    """Where each bidder's bids stand in the hall, for the public form of its events."""
    found: dict[str, list[tuple[str, int]]] = {}
    for number, bid in numbered_bids(state):
        found.setdefault(bid.bidder, []).append((bid.lot, number))
    return {bidder: tuple(rows) for bidder, rows in found.items()}


def hall_rows(state: OpeningSession) -> list[JSON]:
    """The rows the big screen shows from the deadline on, in lot then receipt order."""
    stopped = state.stopped_lots
    named = state.read_out_at is not None
    rows: list[JSON] = []
    for number, bid in numbered_bids(state):
        row: dict[str, JSON] = {
            "lot": bid.lot,
            "number": number,
            "signed_in": bid.bidder in state.signed_in,
            "decrypted": bid.decrypted_at is not None,
            "failed_attempts": bid.failed_attempts,
            "platform_fault": any(fault.bidder in (None, bid.bidder) for fault in state.faults),
            "lot_stopped": bid.lot in stopped,
            # From the decryption's end: 视为撤销 or 视为撤回 and why (电子招标投标办法 art. 31).
            "outcome": _outcome(bid),
        }
        if named:
            row["bidder"] = bid.bidder
            row["bidder_name"] = bid.bidder_name
        rows.append(row)
    return rows


def _outcome(bid: Bid) -> JSON:
    # Status and cause only: the outcome also names the bidder, which the row may not yet.
    if bid.outcome is None:
        return None
    return {
        "status": bid.outcome.status.value,
        "cause": bid.outcome.cause.value,
        "item": bid.outcome.item,
    }
