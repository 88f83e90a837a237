"""What the hub sends: errors, signed documents and their payloads, socket envelopes.

One msgspec declaration per message. The published JSON Schemas (docs/schemas/) are
derived from these (`python -m bidopen.wire.schemas`), and the test suite checks every
message it receives against them. The session core builds the payloads (build_record,
result_payload, the receipt in service.bidding); tests hold each against its declaration.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from bidopen.errors import CODES
from bidopen.session.events import EVENT_TYPES
from bidopen.session.phases import Phase
from bidopen.session.values import (
    MAX_CANDIDATES,
    BidStatus,
    Disposition,
    OutcomeCause,
    QuorumChoice,
    ResultOutcome,
)
from bidseal.readout import ItemType
from bidseal.signed import DOCUMENT_TYPES

# Every error code, listed as the schema's enumeration (the table is docs/protocol.md 1.2).
ErrorCode = StrEnum("ErrorCode", {code: code for code in CODES})  # type: ignore[misc]
# Every type of signed document (sealed-bid format 4).
DocumentType = StrEnum("DocumentType", {t: t for t in sorted(DOCUMENT_TYPES)})  # type: ignore[misc]
# Every kind of event in the session log (docs/protocol.md 5.3).
EventKind = StrEnum("EventKind", {kind: kind for kind in EVENT_TYPES})  # type: ignore[misc]

Instant = Annotated[
    str,
    Meta(
        pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$",
        description="UTC with microseconds and `Z`.",
    ),
]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lowercase hex.")]
Id = Annotated[str, Meta(min_length=1)]


class Message(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every message the hub sends: no member beyond those declared."""


# -- errors -----------------------------------------------------------------------------


class ErrorObject(Message, frozen=True):
    code: Annotated[ErrorCode, Meta(description="Stable; one code per cause (table 1.2).")]
    message: Annotated[str, Meta(description="English: the generic text, then the reason.")]
    message_zh: Annotated[str, Meta(description="Chinese (zh-CN).")]
    field: (
        Annotated[str, Meta(description="The refused body member, query parameter or header.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class ErrorBody(Message, frozen=True):
    """Every refusal: REST answers, socket acknowledgements and `connect_error` data."""

    error: ErrorObject


# -- signed documents -------------------------------------------------------------------


class SignedDocument(Message, frozen=True):
    """A signed envelope (sealed-bid format 4): the payload is JSON text, signed as sent."""

    format: Literal["bidseal-signed/1"]
    type: DocumentType
    payload: Annotated[str, Meta(description="Canonical JSON text of the payload.")]
    signature: Annotated[str, Meta(description="ECDSA P-256 over format, type and payload.")]
    key: Annotated[str, Meta(description="The server's public key, base64url.")]


class _BidFacts(Message, frozen=True):
    version: Literal[2]
    tender: Id
    tender_code: str
    tender_title: str
    lot: Id
    lot_name: str
    bidder: Id
    deadline: Annotated[Instant, Meta(description="The deadline in force at receipt.")]
    bid_sha256: Sha256
    size: Annotated[int, Meta(ge=1, description="Sealed file bytes.")]
    receipt_id: Annotated[
        str,
        Meta(
            pattern=r"^r_[A-Za-z0-9_-]{22}$",
            description="Names the receipt; a digest of this bid, telling nothing of others.",
        ),
    ]


class ReceiptPayload(_BidFacts, frozen=True):
    """`receipt` (sealed-bid format 4.1)."""

    received_at: Annotated[Instant, Meta(description="When the last byte was stored durably.")]


class WithdrawalPayload(_BidFacts, frozen=True):
    """`withdrawal` (sealed-bid format 4.1): the bid named is never to be opened."""

    withdrawn_at: Instant


class PostponementPayload(Message, frozen=True):
    """`postponement`: a deadline moved before it passed."""

    version: Literal[1]
    tender: Id
    tender_code: str
    tender_title: str
    previous_deadline: Instant
    deadline: Instant
    reason: str
    at: Instant


class DeadlinePayload(Message, frozen=True):
    """`deadline`: the deadline in force when asked, with the caller's nonce."""

    version: Literal[1]
    tender: Id
    tender_code: str
    deadline: Instant
    postponements: Annotated[int, Meta(ge=0, description="Postponement notices so far.")]
    nonce: str
    at: Instant


# -- the opening record (`opening-record`) ----------------------------------------------


class RecordTender(Message, frozen=True):
    id: Id
    code: str
    title: str
    # Records signed before organisations named the host account; later ones the organisation.
    host: Annotated[str, Meta(description="The host account (older records).")] = ""
    organisation: Annotated[str, Meta(description="The tender's organisation, by name.")] = ""
    # Records signed before parties were kept lack these three.
    tenderer: Annotated[str, Meta(description="招标人; empty if not stated.")] = ""
    agency: Annotated[str, Meta(description="招标代理机构; empty if not stated.")] = ""
    tendered_by_law: Annotated[
        bool, Meta(description="依法必须招标: a lot with fewer than three bids was stopped.")
    ] = False


class RecordLot(Message, frozen=True):
    id: Id
    name: str
    bid_count: Annotated[int, Meta(ge=0, description="Bids received in time.")]
    stopped: Annotated[bool, Meta(description="Stopped at the quorum decision.")]
    ceiling: Annotated[
        str | None, Meta(description="最高投标限价, yuan with two decimals; null: none.")
    ] = None


class RecordReadoutItem(Message, frozen=True):
    key: str
    label_zh: str
    label_en: str
    type: Annotated[ItemType, Meta(description="What a value must be (protocol 3).")] = (
        ItemType.TEXT
    )
    max_length: Annotated[int, Meta(ge=1, description="Of a text item.")] = 200


class RecordTimes(Message, frozen=True):
    """When each step happened; null for a step that did not happen."""

    scheduled_at: Instant | None
    deadline: Instant | None
    deadline_passed_at: Instant | None
    decryption_started_at: Instant | None
    decryption_closed_at: Instant | None
    read_out_at: Instant | None
    confirmation_started_at: Instant | None
    confirmation_closed_at: Instant | None


class RecordRescheduling(Message, frozen=True):
    previous_deadline: Instant
    deadline: Instant
    reason: str
    at: Instant


class RecordQuorumDecision(Message, frozen=True):
    lot: Id
    choice: QuorumChoice
    reason: Annotated[str, Meta(description="`no_bids` when the lot had none (automatic).")]
    automatic: bool
    at: Instant


class RecordBid(Message, frozen=True):
    lot: Id
    bidder: Id
    bidder_name: Annotated[str, Meta(description="The organisation as registered.")]
    bid_sha256: Sha256
    receipt_no: Annotated[
        int, Meta(ge=1, description="1..n over the tender, in the order the bids were received.")
    ]
    signed_in_at: Annotated[Instant | None, Meta(description="null: never signed in.")]
    decrypted_at: Annotated[Instant | None, Meta(description="null: not decrypted.")]
    failed_attempts: Annotated[int, Meta(ge=0, description="Data keys refused.")]
    status: Annotated[
        BidStatus | None,
        Meta(description="opened; revoked (the bidder's fault); withdrawn (not the bidder's)."),
    ]
    cause: Annotated[OutcomeCause | None, Meta(description="Why the bid has its status.")]
    cause_item: Annotated[
        str | None, Meta(description="With value_not_of_type: the item that broke its type.")
    ] = None


class RecordExtension(Message, frozen=True):
    minutes: int
    reason: str
    ends_at: Instant
    at: Instant


class RecordPause(Message, frozen=True):
    phase: Annotated[Phase, Meta(description="The phase that was paused.")]
    reason: str
    started_at: Instant
    ended_at: Instant | None


class RecordFault(Message, frozen=True):
    bidder: Annotated[Id | None, Meta(description="null: the fault hit every bidder.")]
    reason: str
    reported_by: Annotated[str, Meta(description="`system`, or the host.")]
    at: Instant


class ReadoutLine(Message, frozen=True):
    bidder: Id
    bidder_name: str
    status: BidStatus
    items: Annotated[
        dict[str, str] | None, Meta(description="The read-out items; only for opened bids.")
    ]
    above_ceiling: Annotated[
        list[str], Meta(description="Amount items above the lot's ceiling.")
    ] = []
    cause: Annotated[
        OutcomeCause | None, Meta(description="Why a bid was not opened; null if it was.")
    ] = None
    item: Annotated[str, Meta(description="With value_not_of_type: the item.")] = ""


class ReadoutLot(Message, frozen=True):
    lot: Id
    lines: Annotated[list[ReadoutLine], Meta(description="In the order the bids were received.")]


class RecordObjection(Message, frozen=True, kw_only=True):
    id: Annotated[str, Meta(pattern=r"^O[1-9][0-9]*$")]
    bidder: Id
    bidder_name: str
    lot: Annotated[Id | None, Meta(description="null: about the whole opening.")]
    text: str
    phase: Annotated[Phase, Meta(description="The phase it was raised in.")]
    raised_at: Instant
    answer: Annotated[str | None, Meta(description="The host's answer; null: unanswered.")]
    answered_at: Instant | None
    nonce: Annotated[
        str, Meta(description="The bidder's nonce; empty before bidders signed (record 4).")
    ] = ""
    signature: Annotated[
        str, Meta(description="The bidder's signature over the objection (protocol.md 5.6).")
    ] = ""


class RecordConfirmation(Message, frozen=True):
    bidder: Id
    at: Instant
    signature: Annotated[
        str, Meta(description="The bidder's signature over readout_sha256 (protocol.md 5.6).")
    ] = ""


class DocumentLeaves(Message, frozen=True):
    """Where a document's facts are in the public log."""

    events: Annotated[
        list[Annotated[int, Meta(ge=0)]],
        Meta(description="The leaf of each session event it follows from, seq 1, 2, … in order."),
    ]
    bids: Annotated[
        list[Annotated[int, Meta(ge=0)]],
        Meta(description="The leaf of each bid entry of the deadline batch, in log order."),
    ]


class RecordAbortion(Message, frozen=True):
    phase: Phase
    reason: str
    at: Instant


class OpeningRecord(Message, frozen=True, kw_only=True):
    """`opening-record`: everything the opening decided, settled when confirmation closed."""

    format: Annotated[
        Literal["bidopen-opening-record/2", "bidopen-opening-record/3", "bidopen-opening-record/4"],
        Meta(
            description="4 adds the read-out hash, bidders' signatures and leaves; 3 names the"
            " tender's organisation; 2 (older) the host account."
        ),
    ]
    tender: RecordTender
    lots: Annotated[list[RecordLot], Meta(description="In tender order.")]
    readout_items: Annotated[list[RecordReadoutItem], Meta(description="What was read out.")]
    times: RecordTimes
    reschedulings: Annotated[list[RecordRescheduling], Meta(description="Deadlines moved.")]
    quorum_warnings: Annotated[list[Id], Meta(description="Lots with fewer than three bids.")]
    quorum_decisions: Annotated[list[RecordQuorumDecision], Meta(description="Per warned lot.")]
    bids: Annotated[
        list[RecordBid], Meta(description="Lot order, then the order received (last byte).")
    ]
    extensions: Annotated[list[RecordExtension], Meta(description="Decryption window added.")]
    pauses: Annotated[list[RecordPause], Meta(description="The host's pauses, with reasons.")]
    platform_faults: Annotated[
        list[RecordFault], Meta(description="Faults of the platform that hindered decryption.")
    ]
    decryption_closed_by_host: Annotated[
        bool, Meta(description="Closed early by the host once every bid was decrypted.")
    ]
    readout: Annotated[list[ReadoutLot], Meta(description="The read-out (唱标), lot by lot.")]
    readout_sha256: Annotated[
        Sha256,
        Meta(description="SHA-256 of `readout` as canonical JSON: what bidders confirm (4 on)."),
    ] = ""
    objections: Annotated[list[RecordObjection], Meta(description="In the order raised.")]
    confirmed: Annotated[list[RecordConfirmation], Meta(description="Who confirmed, and when.")]
    deemed_accepted: Annotated[
        list[Id], Meta(description="Bidders who did not confirm in the window (视为认可).")
    ]
    confirmation_closed_early: Annotated[
        bool, Meta(description="Closed by the host once every bidder had confirmed.")
    ]
    aborted: Annotated[RecordAbortion | None, Meta(description="Set if the opening aborted.")]
    leaves: Annotated[
        DocumentLeaves | None, Meta(description="The log leaves it follows from (4 on).")
    ] = None


class ResultTender(Message, frozen=True):
    id: Id
    code: str
    title: str


class ResultCandidate(Message, frozen=True):
    rank: Annotated[int, Meta(ge=1, le=MAX_CANDIDATES, description="1 is the first candidate.")]
    bidder: Id
    price: Annotated[str | None, Meta(description="Evaluated price in yuan; null: none.")]
    score: Annotated[str | None, Meta(description="Total score; null: the method has none.")]


class ResultReason(Message, frozen=True):
    disposition: Annotated[
        Disposition, Meta(description="`rejected` (否决投标) or `not_ranked` (未入围).")
    ]
    clause: Annotated[
        str, Meta(description="Clause of the tender documents; may be empty for not_ranked.")
    ]
    text: str


class EvaluationResult(Message, frozen=True):
    """`evaluation-result` of one lot (中标候选人公示, or 流标)."""

    format: Literal["bidopen-evaluation-result/3"]
    tender: ResultTender
    lot: Id
    outcome: Annotated[
        ResultOutcome, Meta(description="`candidates` (中标候选人) or `failed` (流标, re-tender).")
    ]
    candidates: Annotated[
        list[ResultCandidate], Meta(description="Ranked first to third; empty when failed.")
    ]
    reasons: Annotated[
        dict[str, ResultReason], Meta(description="Every other bid's reason, by bidder id.")
    ]
    failure: Annotated[str, Meta(description="Why the lot failed; empty with candidates.")]
    bidder_names: dict[str, str]
    publicity_days: Annotated[int, Meta(ge=3, description="The publicity period (公示期).")]
    publicity_ends_at: Instant
    demo_publicity_seconds: Annotated[
        int | None, Meta(description="A demo tender's shortened publicity; null otherwise.")
    ]
    objection_answer_days: Annotated[
        int, Meta(description="Days the host has to answer an objection (实施条例 art. 54).")
    ]
    published_at: Instant
    leaves: DocumentLeaves


# -- sockets ----------------------------------------------------------------------------


class EventMessage(Message, frozen=True):
    """`event` on /public, /bidder and /host: one log entry as the audience may see it."""

    seq: Annotated[int, Meta(ge=1)]
    kind: EventKind
    data: Annotated[dict[str, Any], Meta(description="The payload filtered for the audience.")]


class SnapshotMessage(Message, frozen=True):
    """A session's view at a log position: `snapshot` on /public, the `join` answer elsewhere."""

    seq: Annotated[int, Meta(ge=0, description="The log position the view reflects.")]
    role: Literal["public", "bidder", "host"]
    view: Annotated[
        dict[str, Any],
        Meta(description="The role's view at its stage (protocol.md 5.5, bidopen.wire.views)."),
    ]


PAYLOADS: dict[str, type[Message]] = {
    "receipt": ReceiptPayload,
    "withdrawal": WithdrawalPayload,
    "postponement": PostponementPayload,
    "deadline": DeadlinePayload,
    "opening-record": OpeningRecord,
    "evaluation-result": EvaluationResult,
}
