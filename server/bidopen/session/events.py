"""Events of an opening session: what happened, JSON-safe, kept in the log forever."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from .codec import JSON, decode_dataclass, encode
from .errors import MalformedEvent
from .phases import Phase
from .values import (
    DEFAULT_ORGANISATION,
    MAX_CANDIDATES,
    NO_PARTIES,
    BidEntry,
    BidOutcome,
    Candidate,
    Disposition,
    EvaluationStage,
    Lot,
    LotReadout,
    QuorumChoice,
    ReadoutItem,
    Reason,
    ResultOutcome,
    Role,
    TenderParties,
)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of all events; `kind` names it in the log, `at` is the server time it was decided."""

    kind: ClassVar[str]
    at: datetime

    def to_payload(self) -> dict[str, JSON]:
        payload = encode(self)
        assert isinstance(payload, dict)
        return payload


@dataclass(frozen=True, kw_only=True)
class SessionScheduled(Event):
    kind = "session_scheduled"
    tender_id: str
    code: str
    title: str
    host: str
    lots: tuple[Lot, ...]
    deadline: datetime
    signin_opens_at: datetime
    decryption_seconds: int
    confirmation_seconds: int
    readout_items: tuple[ReadoutItem, ...]
    # The organisation the tender belongs to (the public sees its name, never `host`, the
    # account that scheduled it). Logs from before organisations lack both.
    organisation: str = DEFAULT_ORGANISATION
    organisation_name: str = ""
    # Logs written before the record named the parties replay with none, not tendered by law.
    parties: TenderParties = NO_PARTIES
    # Set only for a demo tender (a hub running the demo): its shortened publicity.
    demo_publicity_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class SessionRescheduled(Event):
    kind = "session_rescheduled"
    previous_deadline: datetime
    deadline: datetime
    reason: str


@dataclass(frozen=True, kw_only=True)
class SessionAborted(Event):
    kind = "session_aborted"
    phase: Phase
    reason: str


@dataclass(frozen=True, kw_only=True)
class DeadlinePassed(Event):
    """The first event that names bidders: the bids stored in time and who had signed in."""

    kind = "deadline_passed"
    deadline: datetime
    bids: tuple[BidEntry, ...]
    counts: Mapping[str, int]
    signed_in: tuple[str, ...]
    quorum_warnings: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class QuorumDecided(Event):
    kind = "quorum_decided"
    lot: str
    choice: QuorumChoice
    reason: str
    automatic: bool


@dataclass(frozen=True, kw_only=True)
class DecryptionStarted(Event):
    kind = "decryption_started"
    ends_at: datetime


@dataclass(frozen=True, kw_only=True)
class BidderSignedIn(Event):
    kind = "bidder_signed_in"
    bidder: str


@dataclass(frozen=True, kw_only=True)
class BidDecrypted(Event):
    """The data key opened the bid; the summary stays out of the log until the read-out."""

    kind = "bid_decrypted"
    lot: str
    bidder: str


@dataclass(frozen=True, kw_only=True)
class DecryptionFailed(Event):
    kind = "decryption_failed"
    lot: str
    bidder: str
    reason_code: str
    attempt: int


@dataclass(frozen=True, kw_only=True)
class DecryptionExtended(Event):
    kind = "decryption_extended"
    seconds: int
    reason: str
    ends_at: datetime


@dataclass(frozen=True, kw_only=True)
class PlatformFaultRecorded(Event):
    kind = "platform_fault_recorded"
    bidder: str | None
    reason: str
    reported_by: Role


@dataclass(frozen=True, kw_only=True)
class SessionPaused(Event):
    kind = "session_paused"
    reason: str


@dataclass(frozen=True, kw_only=True)
class SessionResumed(Event):
    """The window goes on; ends_at is shifted by the time spent paused."""

    kind = "session_resumed"
    ends_at: datetime


@dataclass(frozen=True, kw_only=True)
class DecryptionClosed(Event):
    kind = "decryption_closed"
    by_host: bool
    outcomes: tuple[BidOutcome, ...]


@dataclass(frozen=True, kw_only=True)
class ReadOut(Event):
    """All opened summaries at once (唱标), never one by one."""

    kind = "read_out"
    lots: tuple[LotReadout, ...]


@dataclass(frozen=True, kw_only=True)
class ConfirmationStarted(Event):
    kind = "confirmation_started"
    ends_at: datetime


@dataclass(frozen=True, kw_only=True)
class BidderConfirmed(Event):
    kind = "bidder_confirmed"
    bidder: str
    signature: str = ""  # the bidder's own; "" in logs written before bidders signed


@dataclass(frozen=True, kw_only=True)
class ObjectionRaised(Event):
    kind = "objection_raised"
    objection_id: str
    bidder: str
    bidder_name: str = ""  # "" in logs written before names were kept
    lot: str | None
    text: str
    # The bidder's nonce and signature; "" in logs written before bidders signed.
    nonce: str = ""
    signature: str = ""


@dataclass(frozen=True, kw_only=True)
class ObjectionAnswered(Event):
    kind = "objection_answered"
    objection_id: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ConfirmationClosed(Event):
    """Who confirmed and who, by staying silent, is deemed to accept the record."""

    kind = "confirmation_closed"
    early: bool
    confirmed: tuple[str, ...]
    deemed_accepted: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class RecordPublished(Event):
    kind = "record_published"
    sha256: str
    signature: str


@dataclass(frozen=True, kw_only=True)
class EvaluationStageChanged(Event):
    kind = "evaluation_stage_changed"
    stage: EvaluationStage


@dataclass(frozen=True, kw_only=True)
class ResultPublished(Event):
    """A lot's result: candidates (中标候选人) in rank order, or 流标; each other bid's reason."""

    kind = "result_published"
    lot: str
    outcome: ResultOutcome
    candidates: tuple[Candidate, ...]
    reasons: Mapping[str, Reason]
    failure: str = ""
    publicity_days: int
    publicity_ends_at: datetime
    sha256: str
    signature: str


@dataclass(frozen=True, kw_only=True)
class ResultObjectionRaised(Event):
    """A bidder objects to a lot's result during its publicity; the answer is due by a date."""

    kind = "result_objection_raised"
    objection_id: str
    lot: str
    bidder: str
    bidder_name: str
    text: str
    answer_due_at: datetime
    # The bidder's nonce and signature; "" in logs written before bidders signed objections
    # to results.
    nonce: str = ""
    signature: str = ""


@dataclass(frozen=True, kw_only=True)
class ResultObjectionAnswered(Event):
    kind = "result_objection_answered"
    objection_id: str
    text: str
    late: bool  # answered after answer_due_at


EVENT_TYPES: Mapping[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        SessionScheduled,
        SessionRescheduled,
        SessionAborted,
        DeadlinePassed,
        QuorumDecided,
        DecryptionStarted,
        BidderSignedIn,
        BidDecrypted,
        DecryptionFailed,
        DecryptionExtended,
        PlatformFaultRecorded,
        SessionPaused,
        SessionResumed,
        DecryptionClosed,
        ReadOut,
        ConfirmationStarted,
        BidderConfirmed,
        ObjectionRaised,
        ObjectionAnswered,
        ConfirmationClosed,
        RecordPublished,
        EvaluationStageChanged,
        ResultPublished,
        ResultObjectionRaised,
        ResultObjectionAnswered,
    )
}


def _minutes_to_seconds(*names: str) -> Callable[[dict[str, JSON]], dict[str, JSON]]:
    def upcast(payload: dict[str, JSON]) -> dict[str, JSON]:
        for name in names:
            minutes = payload.pop(f"{name}minutes", None)
            if isinstance(minutes, int) and not isinstance(minutes, bool):
                payload.setdefault(f"{name}seconds", minutes * 60)
        return payload

    return upcast


# The log is kept forever and its hashes cover the payloads as first written, so a payload
# is never rewritten in the database: it is read in today's form through these steps. Logs
# written before durations were counted in seconds carry whole minutes.
def _ranked_to_candidates(payload: dict[str, JSON]) -> dict[str, JSON]:
    """A result logged as `ranked`, `winner` and `reasons` (why each did not win): the first
    three ranked become the candidates, every other bid keeps its reason as not ranked."""
    ranked = payload.pop("ranked", None)
    if not isinstance(ranked, list):
        return payload
    payload.pop("winner", None)
    old = payload.get("reasons")
    old = old if isinstance(old, dict) else {}
    candidates = [str(bidder) for bidder in ranked[:MAX_CANDIDATES]]
    reasons: dict[str, JSON] = {}
    for rank, bidder in enumerate(ranked, start=1):
        if isinstance(bidder, str) and bidder not in candidates:
            reasons[bidder] = {"clause": "", "text": f"第{rank}名 / ranked {rank}"}
    for bidder, reason in old.items():
        if bidder not in candidates and isinstance(reason, dict):
            reasons[bidder] = {"clause": reason.get("clause", ""), "text": reason.get("text", "")}
    for reason in reasons.values():
        assert isinstance(reason, dict)
        reason["disposition"] = Disposition.NOT_RANKED.value
    payload["outcome"] = ResultOutcome.CANDIDATES.value
    payload["candidates"] = [{"bidder": b, "price": None, "score": None} for b in candidates]
    payload["reasons"] = reasons
    return payload


_UPCASTS: Mapping[str, Callable[[dict[str, JSON]], dict[str, JSON]]] = {
    SessionScheduled.kind: _minutes_to_seconds("decryption_", "confirmation_"),
    DecryptionExtended.kind: _minutes_to_seconds(""),
    # Results logged before candidates were ranked first to third (the signed document of
    # such a result keeps its own words).
    ResultPublished.kind: _ranked_to_candidates,
}


def current_payload(kind: str, payload: Mapping[str, JSON]) -> dict[str, JSON]:
    """A stored payload in today's form (what `to_payload` writes now); the same dict if it is."""
    if not isinstance(payload, Mapping):
        raise MalformedEvent(f"{kind} payload must be an object")
    upcast = _UPCASTS.get(kind)
    if upcast is not None:
        return upcast(dict(payload))
    return payload if isinstance(payload, dict) else dict(payload)


def event_from_payload(kind: str, payload: Mapping[str, JSON]) -> Event:
    """The event that `to_payload` stored under `kind`, in any earlier form; else MalformedEvent."""
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        raise MalformedEvent(f"unknown event kind {kind!r}")
    return decode_dataclass(cls, current_payload(kind, payload), kind)
