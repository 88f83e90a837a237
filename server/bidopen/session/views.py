"""What each audience may see of a session: public big screen, one bidder, the host."""

from .codec import JSON, encode
from .hall import hall_rows
from .state import Objection, OpeningSession


def public_view(state: OpeningSession) -> dict[str, JSON]:
    """The big-screen snapshot: no bidder before the read-out, no count before the deadline."""
    view: dict[str, JSON] = {
        "seq": state.seq,
        "phase": state.phase.value,
        "tender_id": state.tender_id,
        "code": state.code,
        "title": state.title,
        # Whose tender it is, by organisation; no account name reaches the public.
        "organisation": {"id": state.organisation, "name": state.organisation_name},
        "lots": encode(state.lots),
        "readout_items": encode(state.readout_items),
        "parties": encode(state.parties),
        "deadline": encode(state.deadline),
        "signin_opens_at": encode(state.signin_opens_at),
        "reschedulings": encode(state.reschedulings),
        "paused": state.paused,
        "pause_reason": state.pause_reason,
        # While paused the window keeps ends_at - paused_since; a countdown shows that, frozen.
        "paused_since": encode(state.pauses[-1].started_at if state.paused else None),
        "ends_at": encode(state.ends_at),
        "extensions": encode(state.extensions),
        "aborted": encode(state.abortion),
        "demo_publicity_seconds": state.demo_publicity_seconds,
    }
    if state.deadline_passed_at is None:
        return view
    view["lot_progress"] = [
        {
            "lot": lot.id,
            "bids": state.count(lot.id),
            "decrypted": sum(
                1 for bid in state.bids.values() if bid.lot == lot.id and bid.decrypted_at
            ),
            "quorum_warning": lot.id in state.quorum_warnings,
            "quorum": encode(state.quorum.get(lot.id)),
        }
        for lot in state.lots
    ]
    view["signed_in_count"] = len(state.signed_in)
    view["platform_fault_count"] = len(state.faults)
    view["objection_count"] = len(state.objections)
    view["answered_count"] = len(state.objections) - len(state.unanswered)
    view["objections"] = [_public_objection(state, o) for o in state.objections.values()]
    view["confirmed_count"] = len(state.confirmations)
    # A row per bid, numbered in receipt order; names only from the read-out on.
    view["hall"] = hall_rows(state)
    if state.read_out_at is None:
        return view
    # From the read-out on, names, statuses and the read-out items are public.
    view["read_out_at"] = encode(state.read_out_at)
    view["readout"] = encode(state.readout)
    view["bidder_names"] = encode(state.bidder_names)
    view["deemed_accepted"] = list(state.deemed_accepted)
    view["record"] = encode(state.record)
    view["evaluation_stage"] = encode(state.evaluation_stage)
    view["results"] = [
        encode(state.results[lot.id]) for lot in state.lots if lot.id in state.results
    ]
    # Objections to a result and their answers are public: the result names every bidder.
    view["result_objections"] = encode(tuple(state.result_objections.values()))
    return view


def _public_objection(state: OpeningSession, objection: Objection) -> dict[str, JSON]:
    """An objection and its answer for the big screen; the objector only from the read-out on."""
    shown: dict[str, JSON] = {
        "id": objection.id,
        "lot": objection.lot,
        "text": objection.text,
        "raised_at": encode(objection.raised_at),
        "answer": objection.answer,
        "answered_at": encode(objection.answered_at),
    }
    # Before the read-out, naming the objector would tell the hall that it bid.
    if state.read_out_at is not None:
        shown["bidder"] = objection.bidder
        shown["bidder_name"] = objection.bidder_name
    return shown


def bidder_view(state: OpeningSession, bidder: str) -> dict[str, JSON]:
    """The public view plus what concerns this bidder alone: its bids, sign-in, objections."""
    view = public_view(state)
    if state.deadline_passed_at is None:
        # Before the deadline the bidder's own bids live in the app's private tables only.
        view["you"] = {"bidder": bidder}
        return view
    own_bids = sorted(
        (bid for bid in state.bids.values() if bid.bidder == bidder),
        key=lambda bid: bid.receipt_no,
    )
    view["you"] = {
        "bidder": bidder,
        "bidder_name": state.name_of(bidder),
        "signed_in_at": encode(state.signed_in.get(bidder)),
        # A sign-in before the deadline is logged at the deadline: its time is not the bidder's.
        "signed_in_before_deadline": state.signed_in.get(bidder) == state.deadline_passed_at,
        "confirmed_at": encode(state.confirmations.get(bidder)),
        "bids": [
            {
                "lot": bid.lot,
                "bid_sha256": bid.bid_sha256,
                "receipt_no": bid.receipt_no,
                "decrypted_at": encode(bid.decrypted_at),
                "failed_attempts": bid.failed_attempts,
                "outcome": encode(bid.outcome),
            }
            for bid in own_bids
        ],
        "objections": [encode(o) for o in state.objections.values() if o.bidder == bidder],
    }
    return view


def host_view(state: OpeningSession) -> dict[str, JSON]:
    """The console: who bid, signed in and decrypted; never a price before the read-out."""
    view = public_view(state)
    view["host"] = state.host
    if state.deadline_passed_at is None:
        return view
    view["pending_quorum"] = list(state.pending_quorum)
    view["bidder_names"] = encode(state.bidder_names)
    view["bids"] = [
        {
            "lot": bid.lot,
            "bidder": bid.bidder,
            "bidder_name": bid.bidder_name,
            "bid_sha256": bid.bid_sha256,
            "receipt_no": bid.receipt_no,
            "lot_stopped": bid.lot in state.stopped_lots,
            "signed_in": bid.bidder in state.signed_in,
            "decrypted_at": encode(bid.decrypted_at),
            "failed_attempts": bid.failed_attempts,
            "outcome": encode(bid.outcome),
        }
        for bid in state.ordered_bids
    ]
    view["signed_in"] = encode(sorted(state.signed_in))
    view["platform_faults"] = encode(state.faults)
    view["objections"] = [encode(o) for o in state.objections.values()]
    view["confirmed"] = encode(sorted(state.confirmations))
    return view
