"""The snapshot's `view`, declared per role and stage (protocol.md 5.5).

`bidopen.session.views` builds the views; these declarations say exactly what each holds.
Keys appear in stages: before the deadline, from the deadline on (`lot_progress` and the
counts), from the read-out on (`read_out_at` and the names). A stage's view inherits the
earlier one's members, and a role's view adds the role's members to the public view of the
same stage. msgspec decodes no union of untagged Structs, so `SnapshotMessage.view` stays
an object for decoding; the published schemas name the nine views (`bidopen.wire.schemas`),
and `view_type` picks the one a view is held to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, cast

import msgspec
from msgspec import Meta

from bidopen.session.phases import Phase
from bidopen.session.values import (
    BidStatus,
    EvaluationStage,
    OutcomeCause,
    ResultOutcome,
    Role,
)
from bidopen.wire.answers import Organisation
from bidopen.wire.messages import (
    Id,
    Instant,
    Message,
    RecordAbortion,
    RecordQuorumDecision,
    RecordRescheduling,
    ResultReason,
    Sha256,
)
from bidseal.readout import ItemType

Count = Annotated[int, Meta(ge=0)]
ObjectionId = Annotated[str, Meta(pattern=r"^O[1-9][0-9]*$")]
ResultObjectionId = Annotated[str, Meta(pattern=r"^R[1-9][0-9]*$")]
BidderName = Annotated[
    str, Meta(description="The organisation as registered; empty in logs from before names.")
]
Nonce = Annotated[str, Meta(description="The bidder's nonce; empty before bidders signed.")]
BidderSignature = Annotated[
    str, Meta(description="The bidder's signature (protocol.md 5.2.1); empty before they signed.")
]

# -- what every view has ----------------------------------------------------------------


class ViewLot(Message, frozen=True):
    """A lot (标段) of the tender."""

    id: Id
    name: str
    ceiling: Annotated[
        str | None, Meta(description="最高投标限价, yuan with two decimals; null: none.")
    ]


class ViewReadoutItem(Message, frozen=True):
    """An item read out for every opened bid, labelled in both languages."""

    key: str
    label_zh: str
    label_en: str
    type: Annotated[ItemType, Meta(description="What a value must be (protocol 3).")]
    max_length: Annotated[int, Meta(ge=1, description="Of a text item.")]


class ViewParties(Message, frozen=True):
    """Who tenders and under which rule."""

    tenderer: Annotated[str, Meta(description="招标人; empty if not stated.")]
    agency: Annotated[str, Meta(description="招标代理机构; empty if not stated.")]
    tendered_by_law: Annotated[
        bool, Meta(description="依法必须招标: a lot with fewer than three bids is stopped.")
    ]


class ViewExtension(Message, frozen=True):
    """Time the host added to the decryption window, with the reason (recorded)."""

    seconds: Annotated[int, Meta(ge=1)]
    reason: str
    ends_at: Annotated[Instant, Meta(description="The window's end after this extension.")]
    at: Instant


class PublicViewBeforeDeadline(Message, frozen=True):
    """`public_view` before the deadline: the tender and its windows, no bid nor count."""

    seq: Annotated[int, Meta(ge=0, description="The log position the view reflects.")]
    phase: Phase
    tender_id: Id
    code: str
    title: str
    organisation: Annotated[Organisation, Meta(description="Whose tender it is.")]
    lots: Annotated[list[ViewLot], Meta(description="In tender order.")]
    readout_items: list[ViewReadoutItem]
    parties: ViewParties
    deadline: Annotated[Instant, Meta(description="The deadline in force (= opening time).")]
    signin_opens_at: Instant
    reschedulings: Annotated[list[RecordRescheduling], Meta(description="Deadlines moved.")]
    paused: bool
    pause_reason: Annotated[str | None, Meta(description="The host's reason; null: not paused.")]
    paused_since: Annotated[Instant | None, Meta(description="null: not paused.")]
    ends_at: Annotated[
        Instant | None,
        Meta(
            description="The end of the window now running (decryption or confirmation, with"
            " every extension and pause); null in every other phase. While paused, the end it"
            " would have if resumed at `paused_since`."
        ),
    ]
    extensions: list[ViewExtension]
    aborted: Annotated[RecordAbortion | None, Meta(description="Set if the opening aborted.")]
    demo_publicity_seconds: Annotated[
        int | None, Meta(description="A demo tender's shortened publicity; null otherwise.")
    ]


# -- from the deadline on ---------------------------------------------------------------


class LotProgress(Message, frozen=True):
    """A lot's counts from the deadline on."""

    lot: Id
    bids: Annotated[
        Count,
        Meta(description="Bids of the lot counted at the deadline (current bids only)."),
    ]
    decrypted: Annotated[Count, Meta(description="Bids whose data key opened them so far.")]
    quorum_warning: Annotated[
        bool,
        Meta(
            description="The lot had 1 or 2 bids at the deadline: the host had to continue or"
            " stop it. Stays true after the decision."
        ),
    ]
    quorum: Annotated[
        RecordQuorumDecision | None,
        Meta(description="The host's decision; null when none was needed or it is pending."),
    ]


class HallOutcome(Message, frozen=True):
    """How a bid came out of decryption, as the hall shows it (电子招标投标办法 art. 31)."""

    status: Annotated[
        BidStatus,
        Meta(description="opened; revoked (视为撤销, the bidder's cause); withdrawn (视为撤回)."),
    ]
    cause: Annotated[OutcomeCause, Meta(description="Why the bid has its status.")]
    item: Annotated[str, Meta(description="With value_not_of_type: the item; else empty.")]


class HallRow(Message, frozen=True):
    """A row of the opening hall: one bid, numbered in its lot, no name before the read-out."""

    lot: Id
    number: Annotated[
        int,
        Meta(ge=1, description="The lot's bids from 1 in the order received (the read-out's)."),
    ]
    signed_in: bool
    decrypted: bool
    failed_attempts: Annotated[Count, Meta(description="Data keys refused.")]
    platform_fault: Annotated[bool, Meta(description="A recorded platform fault hit the bid.")]
    lot_stopped: Annotated[bool, Meta(description="Stopped at the quorum decision.")]
    outcome: Annotated[HallOutcome | None, Meta(description="null until decryption ends.")]


class PublicObjection(Message, frozen=True):
    """An objection and its answer as the public sees it before the read-out: no objector."""

    id: ObjectionId
    lot: Annotated[Id | None, Meta(description="null: about the whole opening.")]
    text: str
    raised_at: Instant
    answer: Annotated[str | None, Meta(description="The host's answer; null: unanswered.")]
    answered_at: Instant | None


class PublicViewFromDeadline(PublicViewBeforeDeadline, frozen=True):
    """`public_view` from the deadline on: counts, objections and the hall, without a bidder."""

    lot_progress: Annotated[list[LotProgress], Meta(description="In lot order.")]
    signed_in_count: Count
    platform_fault_count: Count
    objection_count: Count
    answered_count: Count
    confirmed_count: Annotated[Count, Meta(description="Bidders who confirmed the record.")]
    # Sequences (lists on the wire), as the read-out's stage narrows them to named rows.
    objections: Annotated[Sequence[PublicObjection], Meta(description="In the order raised.")]
    hall: Annotated[
        Sequence[HallRow], Meta(description="A row per bid, in lot order then receipt order.")
    ]


# -- from the read-out on ---------------------------------------------------------------


class NamedHallRow(HallRow, frozen=True):
    """A row of the opening hall from the read-out on: it names its bidder."""

    bidder: Id
    bidder_name: BidderName


class NamedObjection(PublicObjection, frozen=True):
    """An objection as the public sees it from the read-out on: with its objector."""

    bidder: Id
    bidder_name: BidderName


class ViewReadoutLine(Message, frozen=True):
    """One bid as read out (唱标)."""

    bidder: Id
    bidder_name: BidderName
    status: BidStatus
    items: Annotated[
        dict[str, str] | None, Meta(description="The read-out items; only for an opened bid.")
    ]
    above_ceiling: Annotated[
        list[str],
        Meta(description="Amount items above the lot's ceiling (flagged, not refused)."),
    ]
    cause: Annotated[
        OutcomeCause | None, Meta(description="Why a bid was not opened; null if it was.")
    ]
    item: Annotated[str, Meta(description="With value_not_of_type: the item that broke its type.")]


class ViewReadoutLot(Message, frozen=True):
    """A lot's read-out: the `lots` of the `read_out` event."""

    lot: Id
    lines: Annotated[
        list[ViewReadoutLine], Meta(description="In the order the bids were received.")
    ]


class PublishedDocument(Message, frozen=True):
    """A document the hub signed (the opening record, a lot's result)."""

    sha256: Annotated[
        Sha256, Meta(description="Of the signed payload string, the envelope's `payload`.")
    ]
    signature: Annotated[str, Meta(description="The envelope's `signature`.")]
    at: Instant


class ViewCandidate(Message, frozen=True):
    """A 中标候选人, in rank order within its result."""

    bidder: Id
    price: Annotated[str | None, Meta(description="Evaluated price in yuan; null: none.")]
    score: Annotated[str | None, Meta(description="Total score; null: the method has none.")]


class ViewResult(Message, frozen=True):
    """A lot's published result (中标候选人公示, or 流标)."""

    lot: Id
    outcome: Annotated[
        ResultOutcome, Meta(description="`candidates` (中标候选人) or `failed` (流标, re-tender).")
    ]
    candidates: Annotated[
        list[ViewCandidate], Meta(description="Ranked first to third; empty when failed.")
    ]
    reasons: Annotated[
        dict[str, ResultReason], Meta(description="Every other bid's reason, by bidder id.")
    ]
    failure: Annotated[str, Meta(description="Why the lot failed; empty with candidates.")]
    publicity_days: Annotated[int, Meta(ge=1, description="The publicity period (公示期).")]
    publicity_ends_at: Annotated[
        Instant, Meta(description="公示中 before this instant, 公示结束 from it on.")
    ]
    document: Annotated[PublishedDocument, Meta(description="The signed result.")]


class ViewResultObjection(Message, frozen=True):
    """An objection to a lot's result (异议) and the host's answer; public."""

    id: ResultObjectionId
    lot: Id
    bidder: Id
    bidder_name: BidderName
    text: str
    raised_at: Instant
    answer_due_at: Annotated[Instant, Meta(description="Unanswered past it: overdue.")]
    answer: Annotated[str | None, Meta(description="null until answered.")]
    answered_at: Instant | None
    late: Annotated[bool, Meta(description="Answered after `answer_due_at`.")]
    nonce: Nonce
    signature: BidderSignature


class PublicViewFromReadOut(PublicViewFromDeadline, frozen=True):
    """`public_view` from the read-out on: the names, the read-out, the record and results."""

    objections: Annotated[Sequence[NamedObjection], Meta(description="In the order raised.")]
    hall: Annotated[
        Sequence[NamedHallRow], Meta(description="A row per bid, in lot order then receipt order.")
    ]
    read_out_at: Instant
    readout: Annotated[list[ViewReadoutLot], Meta(description="Lot by lot, in tender order.")]
    bidder_names: Annotated[
        dict[str, str],
        Meta(description="Bidder id → organisation, for every bidder whose name the log holds."),
    ]
    deemed_accepted: Annotated[
        list[Id],
        Meta(
            description="Bidders deemed to accept the record (视为认可): empty until the"
            " confirmation window ends at its time, then never changed."
        ),
    ]
    record: Annotated[
        PublishedDocument | None, Meta(description="The opening record; null until published.")
    ]
    evaluation_stage: Annotated[
        EvaluationStage | None, Meta(description="null before the evaluation starts.")
    ]
    results: Annotated[list[ViewResult], Meta(description="One per lot with a published result.")]
    result_objections: Annotated[
        list[ViewResultObjection], Meta(description="In the order raised.")
    ]


# -- what a bidder and the host add ------------------------------------------------------


class BidOutcome(HallOutcome, frozen=True):
    """How a bid came out of decryption, whole: the hall's outcome with its lot and bidder."""

    lot: Id
    bidder: Id


class YourBid(Message, frozen=True):
    """One of the bidder's own bids in the session."""

    lot: Id
    bid_sha256: Sha256
    receipt_no: Annotated[
        int, Meta(ge=1, description="1..n over the tender, in the order the bids were received.")
    ]
    decrypted_at: Annotated[Instant | None, Meta(description="null: not decrypted.")]
    failed_attempts: Annotated[Count, Meta(description="Data keys refused.")]
    outcome: Annotated[BidOutcome | None, Meta(description="null until decryption ends.")]


class FullObjection(NamedObjection, frozen=True):
    """An objection whole: the bidder's own in `you`, every one in the host's view."""

    phase: Annotated[Phase, Meta(description="The phase it was raised in.")]
    nonce: Nonce
    signature: BidderSignature


class YouBeforeDeadline(Message, frozen=True):
    """`you` before the deadline: the bidder's own bids live in the hub's private tables."""

    bidder: Id


class YouFromDeadline(YouBeforeDeadline, frozen=True):
    """`you` from the deadline on: the bidder's sign-in, bids, confirmation and objections."""

    bidder_name: BidderName
    signed_in_at: Annotated[Instant | None, Meta(description="null: not signed in.")]
    signed_in_before_deadline: Annotated[
        bool,
        Meta(description="Signed in before the deadline: `signed_in_at` is the deadline's tick."),
    ]
    confirmed_at: Annotated[Instant | None, Meta(description="null: not confirmed.")]
    bids: Annotated[list[YourBid], Meta(description="In the order received.")]
    objections: Annotated[
        list[FullObjection], Meta(description="Its own objections, in the order raised.")
    ]


class HostBid(YourBid, frozen=True):
    """A bid as the host's console shows it."""

    bidder: Id
    bidder_name: BidderName
    lot_stopped: Annotated[bool, Meta(description="Stopped at the quorum decision.")]
    signed_in: bool


class PlatformFault(Message, frozen=True):
    """A fault of the platform that hindered decryption (its bids are withdrawn, 视为撤回)."""

    bidder: Annotated[Id | None, Meta(description="null: the fault hit every bidder.")]
    reason: str
    reported_by: Role
    at: Instant


# A role's members, added to the public view of each stage. Struct classes take one base
# only, so the six role views are made from these (`_role_view`): each member is declared
# once, and each role view still inherits its stage's public view.


class _BidderBeforeDeadline(Message, frozen=True):
    you: YouBeforeDeadline


class _BidderFromDeadline(Message, frozen=True):
    you: YouFromDeadline


class _Host(Message, frozen=True):
    host: Annotated[str, Meta(description="The account that created the tender.")]


class _HostFromDeadline(_Host, frozen=True):
    pending_quorum: Annotated[
        list[Id], Meta(description="Lots still waiting for a quorum decision, in lot order.")
    ]
    bidder_names: Annotated[
        dict[str, str],
        Meta(description="Bidder id → organisation, for every bidder whose name the log holds."),
    ]
    bids: Annotated[list[HostBid], Meta(description="Lot order, then the order received.")]
    signed_in: Annotated[list[Id], Meta(description="Bidders signed in, by id.")]
    platform_faults: list[PlatformFault]
    objections: Annotated[list[FullObjection], Meta(description="Every one, in the order raised.")]
    confirmed: Annotated[list[Id], Meta(description="Bidders who confirmed the record, by id.")]


def _role_view(name: str, stage: type[Message], role: type[Message], doc: str) -> type[Message]:
    """`stage` with `role`'s members added (a member in both takes `role`'s type)."""
    made = msgspec.defstruct(
        name,
        [(field.name, field.type) for field in msgspec.structs.fields(role)],
        bases=(stage,),
        module=__name__,
        namespace={"__doc__": doc},
        frozen=True,
        kw_only=True,
        forbid_unknown_fields=True,
    )
    return cast(type[Message], made)


BidderViewBeforeDeadline = _role_view(
    "BidderViewBeforeDeadline",
    PublicViewBeforeDeadline,
    _BidderBeforeDeadline,
    "`bidder_view` before the deadline: the public view and the bidder's id.",
)
BidderViewFromDeadline = _role_view(
    "BidderViewFromDeadline",
    PublicViewFromDeadline,
    _BidderFromDeadline,
    "`bidder_view` from the deadline on: the public view and what concerns the bidder alone.",
)
BidderViewFromReadOut = _role_view(
    "BidderViewFromReadOut",
    PublicViewFromReadOut,
    _BidderFromDeadline,
    "`bidder_view` from the read-out on: the public view and what concerns the bidder alone.",
)
HostViewBeforeDeadline = _role_view(
    "HostViewBeforeDeadline",
    PublicViewBeforeDeadline,
    _Host,
    "`host_view` before the deadline: the public view and the tender's account.",
)
HostViewFromDeadline = _role_view(
    "HostViewFromDeadline",
    PublicViewFromDeadline,
    _HostFromDeadline,
    "`host_view` from the deadline on: who bid, signed in and decrypted; never a price.",
)
HostViewFromReadOut = _role_view(
    "HostViewFromReadOut",
    PublicViewFromReadOut,
    _HostFromDeadline,
    "`host_view` from the read-out on: the public view and the whole of every bid.",
)

# Each role's view before the deadline, from the deadline on, from the read-out on.
VIEWS: Mapping[str, tuple[type[Message], type[Message], type[Message]]] = {
    "public": (PublicViewBeforeDeadline, PublicViewFromDeadline, PublicViewFromReadOut),
    "bidder": (BidderViewBeforeDeadline, BidderViewFromDeadline, BidderViewFromReadOut),
    "host": (HostViewBeforeDeadline, HostViewFromDeadline, HostViewFromReadOut),
}
ALL_VIEWS: tuple[type[Message], ...] = tuple(view for stages in VIEWS.values() for view in stages)


def view_type(role: str, view: object) -> type[Message]:
    """The declaration `view` of `role` is held to, its stage read from the keys it has."""
    stages = VIEWS.get(role)
    if stages is None:
        raise ValueError(f"role must be one of {', '.join(VIEWS)}, not {role!r}")
    before, from_deadline, from_read_out = stages
    if not isinstance(view, Mapping):
        return before  # not an object: its conversion says so
    if "read_out_at" in view:
        return from_read_out
    if "lot_progress" in view:
        return from_deadline
    return before
