"""The state of one opening session, folded from its events; deadlines are data."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .phases import TIMED_PHASES, Phase
from .values import (
    NO_PARTIES,
    BidOutcome,
    Candidate,
    EvaluationStage,
    Lot,
    LotReadout,
    OutcomeCause,
    QuorumChoice,
    ReadoutItem,
    Reason,
    ResultOutcome,
    Role,
    TenderParties,
)

BidKey = tuple[str, str]  # (lot, bidder)


@dataclass(frozen=True, kw_only=True)
class Bid:
    lot: str
    bidder: str
    bidder_name: str = ""
    bid_sha256: str
    receipt_no: int
    decrypted_at: datetime | None = None
    failed_attempts: int = 0
    outcome: BidOutcome | None = None

    @property
    def key(self) -> BidKey:
        return (self.lot, self.bidder)


@dataclass(frozen=True, kw_only=True)
class QuorumDecision:
    lot: str
    choice: QuorumChoice
    reason: str
    automatic: bool
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Rescheduling:
    previous_deadline: datetime
    deadline: datetime
    reason: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Extension:
    seconds: int
    reason: str
    ends_at: datetime
    at: datetime


@dataclass(frozen=True, kw_only=True)
class PauseSpan:
    phase: Phase
    reason: str
    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PlatformFault:
    bidder: str | None
    reason: str
    reported_by: Role
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Objection:
    id: str
    bidder: str
    bidder_name: str = ""
    lot: str | None
    text: str
    phase: Phase
    raised_at: datetime
    answer: str | None = None
    answered_at: datetime | None = None
    nonce: str = ""
    signature: str = ""  # the bidder's (bidseal.statements); "" before bidders signed


@dataclass(frozen=True, kw_only=True)
class StageChange:
    stage: EvaluationStage
    at: datetime


@dataclass(frozen=True, kw_only=True)
class PublishedDocument:
    """A document the app signed: the opening record or a lot's result."""

    sha256: str
    signature: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class LotResult:
    lot: str
    outcome: ResultOutcome
    candidates: tuple[Candidate, ...]  # in rank order
    reasons: Mapping[str, Reason]
    failure: str
    publicity_days: int
    publicity_ends_at: datetime
    document: PublishedDocument


@dataclass(frozen=True, kw_only=True)
class ResultObjection:
    """A bidder's objection to a lot's result (异议) and the host's answer, due within days."""

    id: str
    lot: str
    bidder: str
    bidder_name: str
    text: str
    raised_at: datetime
    answer_due_at: datetime
    answer: str | None = None
    answered_at: datetime | None = None
    late: bool = False
    nonce: str = ""
    signature: str = ""  # the bidder's (bidseal.statements); "" before bidders signed


@dataclass(frozen=True, kw_only=True)
class Abortion:
    phase: Phase
    reason: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class OpeningSession:
    """Everything decide needs to judge a command; immutable, replaced by evolve."""

    seq: int = 0
    phase: Phase = Phase.UNSCHEDULED
    # Set by session_scheduled.
    tender_id: str = ""
    code: str = ""
    title: str = ""
    host: str = ""
    organisation: str = ""
    organisation_name: str = ""
    lots: tuple[Lot, ...] = ()
    deadline: datetime | None = None
    signin_opens_at: datetime | None = None
    decryption_seconds: int = 0
    confirmation_seconds: int = 0
    readout_items: tuple[ReadoutItem, ...] = ()
    parties: TenderParties = NO_PARTIES
    demo_publicity_seconds: int | None = None
    scheduled_at: datetime | None = None
    reschedulings: tuple[Rescheduling, ...] = ()
    # From the deadline on.
    deadline_passed_at: datetime | None = None
    bids: Mapping[BidKey, Bid] = field(default_factory=dict)
    signed_in: Mapping[str, datetime] = field(default_factory=dict)
    quorum_warnings: tuple[str, ...] = ()
    quorum: Mapping[str, QuorumDecision] = field(default_factory=dict)
    # The window of the current timed phase (decryption or confirmation).
    ends_at: datetime | None = None
    pauses: tuple[PauseSpan, ...] = ()
    decryption_started_at: datetime | None = None
    extensions: tuple[Extension, ...] = ()
    faults: tuple[PlatformFault, ...] = ()
    decryption_closed_at: datetime | None = None
    decryption_closed_by_host: bool = False
    readout: tuple[LotReadout, ...] = ()
    read_out_at: datetime | None = None
    # The read-out's place in the log: events after it may name bidders to everyone.
    read_out_seq: int | None = None
    confirmation_started_at: datetime | None = None
    confirmations: Mapping[str, datetime] = field(default_factory=dict)
    # Each confirming bidder's signature over the read-out ("" before bidders signed).
    confirmation_signatures: Mapping[str, str] = field(default_factory=dict)
    objections: Mapping[str, Objection] = field(default_factory=dict)
    confirmation_closed_at: datetime | None = None
    confirmation_closed_early: bool = False
    deemed_accepted: tuple[str, ...] = ()
    record: PublishedDocument | None = None
    stages: tuple[StageChange, ...] = ()
    results: Mapping[str, LotResult] = field(default_factory=dict)
    result_objections: Mapping[str, ResultObjection] = field(default_factory=dict)
    abortion: Abortion | None = None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].ended_at is None

    @property
    def pause_reason(self) -> str | None:
        return self.pauses[-1].reason if self.paused else None

    @property
    def next_deadline(self) -> datetime | None:
        """The instant a scheduler must submit a Tick, or None when only people can move on."""
        if self.phase is Phase.SCHEDULED:
            return self.deadline
        if self.phase in TIMED_PHASES and not self.paused:
            return self.ends_at
        return None

    def window_elapsed(self, now: datetime) -> bool:
        """True once the running window has ended (a paused window keeps its remaining time)."""
        return self.ends_at is not None and not self.paused and now >= self.ends_at

    @property
    def bidders(self) -> frozenset[str]:
        """Bidders with a bid in this session; empty before the deadline by design."""
        return frozenset(bidder for _, bidder in self.bids)

    @property
    def bidder_names(self) -> Mapping[str, str]:
        """Bidder id -> organisation name, for every bidder whose name the log holds."""
        return {bid.bidder: bid.bidder_name for bid in self.ordered_bids if bid.bidder_name}

    def name_of(self, bidder: str) -> str:
        """The organisation name of a bidder with a bid here; "" when the log holds none."""
        return next((bid.bidder_name for bid in self.bids.values() if bid.bidder == bidder), "")

    @property
    def stopped_lots(self) -> frozenset[str]:
        return frozenset(
            lot for lot, decision in self.quorum.items() if decision.choice is QuorumChoice.STOP
        )

    @property
    def pending_quorum(self) -> tuple[str, ...]:
        """Lots that still wait for the host's continue-or-stop choice, in lot order."""
        return tuple(
            lot.id
            for lot in self.lots
            if lot.id not in self.quorum
            and (lot.id in self.quorum_warnings or self.count(lot.id) == 0)
        )

    def count(self, lot: str) -> int:
        return sum(1 for bid_lot, _ in self.bids if bid_lot == lot)

    @property
    def ordered_bids(self) -> tuple[Bid, ...]:
        """Every bid, in lot order then receipt order: the order of read-out and record."""
        order = {lot.id: i for i, lot in enumerate(self.lots)}
        return tuple(
            sorted(
                self.bids.values(),
                key=lambda bid: (order.get(bid.lot, -1), bid.receipt_no, bid.bidder),
            )
        )

    @property
    def live_bids(self) -> tuple[Bid, ...]:
        """Bids of lots that were not stopped, in the same order."""
        stopped = self.stopped_lots
        return tuple(bid for bid in self.ordered_bids if bid.lot not in stopped)

    @property
    def unanswered(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.objections.values() if o.answer is None)

    @property
    def evaluation_stage(self) -> EvaluationStage | None:
        return self.stages[-1].stage if self.stages else None

    def opened_bidders(self, lot: str) -> tuple[str, ...]:
        return tuple(
            bid.bidder
            for bid in self.live_bids
            if bid.lot == lot
            and bid.outcome is not None
            and bid.outcome.cause is OutcomeCause.DECRYPTED
        )

    def lot_bidders(self, lot: str) -> frozenset[str]:
        """Bidders with a bid in `lot`, opened or not."""
        return frozenset(bidder for bid_lot, bidder in self.bids if bid_lot == lot)

    @property
    def lots_awaiting_result(self) -> tuple[str, ...]:
        """Lots that were opened with a bid and have no published result yet, in lot order.

        A lot none of whose bids was opened awaits one too: its result is 流标.
        """
        stopped = self.stopped_lots
        return tuple(
            lot.id
            for lot in self.lots
            if lot.id not in stopped and lot.id not in self.results and self.count(lot.id)
        )


EMPTY = OpeningSession()
