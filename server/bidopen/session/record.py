"""build_record(state, leaves): the opening record (开标记录) the app signs and publishes."""

from dataclasses import dataclass
from datetime import datetime

from bidseal.statements import readout_sha256

from .codec import JSON, encode
from .errors import IllegalInPhase
from .phases import Phase
from .state import OpeningSession

# 2: every bid, read-out line and objection names the bidder's organisation as well as its id.
# 4: each confirmation and objection carries the bidder's signature; the record names its
# leaves in the public log.
RECORD_FORMAT = "bidopen-opening-record/4"


@dataclass(frozen=True)
class Leaves:
    """Where a document's facts are in the public log: the leaf of each session event it
    follows from (seq 1, 2, … in order) and of each bid entry of the deadline batch."""

    events: tuple[int, ...] = ()
    bids: tuple[int, ...] = ()

    def encode(self) -> dict[str, JSON]:
        return {"events": list(self.events), "bids": list(self.bids)}


NO_LEAVES = Leaves()


def state_readout_sha256(state: OpeningSession) -> str:
    """What a bidder's confirmation signs (bidseal.statements.readout_sha256)."""
    return readout_sha256(encode(state.readout))


def build_record(state: OpeningSession, leaves: Leaves = NO_LEAVES) -> dict[str, JSON]:
    """Everything the opening decided, in a fixed order; equal states give equal records.

    Only what is settled once confirmation closes goes in (the publication itself and the
    evaluation do not), so a record rebuilt later from the log matches the one signed.
    """
    if state.phase is Phase.UNSCHEDULED:
        raise IllegalInPhase("build_record", state.phase)
    return {
        "format": RECORD_FORMAT,
        "tender": {
            "id": state.tender_id,
            "code": state.code,
            "title": state.title,
            "organisation": state.organisation_name,
            "tenderer": state.parties.tenderer,
            "agency": state.parties.agency,
            "tendered_by_law": state.parties.tendered_by_law,
        },
        "lots": [
            {
                "id": lot.id,
                "name": lot.name,
                "bid_count": state.count(lot.id),
                "stopped": lot.id in state.stopped_lots,
                "ceiling": lot.ceiling,
            }
            for lot in state.lots
        ],
        "readout_items": encode(state.readout_items),
        "times": {
            "scheduled_at": _instant(state.scheduled_at),
            "deadline": _instant(state.deadline),
            "deadline_passed_at": _instant(state.deadline_passed_at),
            "decryption_started_at": _instant(state.decryption_started_at),
            "decryption_closed_at": _instant(state.decryption_closed_at),
            "read_out_at": _instant(state.read_out_at),
            "confirmation_started_at": _instant(state.confirmation_started_at),
            "confirmation_closed_at": _instant(state.confirmation_closed_at),
        },
        "reschedulings": encode(state.reschedulings),
        "quorum_warnings": list(state.quorum_warnings),
        "quorum_decisions": [
            encode(state.quorum[lot.id]) for lot in state.lots if lot.id in state.quorum
        ],
        "bids": [
            {
                "lot": bid.lot,
                "bidder": bid.bidder,
                "bidder_name": bid.bidder_name,
                "bid_sha256": bid.bid_sha256,
                "receipt_no": bid.receipt_no,
                "signed_in_at": _instant(state.signed_in.get(bid.bidder)),
                "decrypted_at": _instant(bid.decrypted_at),
                "failed_attempts": bid.failed_attempts,
                "status": None if bid.outcome is None else bid.outcome.status.value,
                "cause": None if bid.outcome is None else bid.outcome.cause.value,
                "cause_item": None if bid.outcome is None else bid.outcome.item or None,
            }
            for bid in state.ordered_bids
        ],
        "extensions": encode(state.extensions),
        "pauses": encode(state.pauses),
        "platform_faults": encode(state.faults),
        "decryption_closed_by_host": state.decryption_closed_by_host,
        "readout": encode(state.readout),
        "objections": [
            encode(objection)
            for objection in sorted(state.objections.values(), key=lambda o: int(o.id[1:]))
        ],
        "readout_sha256": state_readout_sha256(state),
        "confirmed": [
            {
                "bidder": bidder,
                "at": _instant(at),
                "signature": state.confirmation_signatures.get(bidder, ""),
            }
            for bidder, at in sorted(state.confirmations.items())
        ],
        "deemed_accepted": list(state.deemed_accepted),
        "confirmation_closed_early": state.confirmation_closed_early,
        # An abort after publication belongs to the log, not to the record already signed.
        "aborted": encode(state.abortion) if state.record is None else None,
        "leaves": leaves.encode(),
    }


def _instant(value: datetime | None) -> JSON:
    return encode(value)
