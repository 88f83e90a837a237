"""Commands sent to an opening session: what an actor asks for, checked for shape on creation."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, TypeAlias

from .errors import InvalidArgument
from .validate import (
    MAX_LABEL_LENGTH,
    check_code,
    check_id,
    check_instant,
    check_int,
    check_name,
    check_sha256,
    check_signature,
    check_text,
    check_unique,
)
from .values import (
    MAX_CANDIDATES,
    NO_PARTIES,
    Actor,
    BidEntry,
    Candidate,
    EvaluationStage,
    Lot,
    QuorumChoice,
    ReadoutItem,
    Reason,
    ResultOutcome,
    TenderParties,
)

# (lot, bidder) -> read-out items of that bid's opening summary, as the app opened them.
Summaries: TypeAlias = Mapping[tuple[str, str], Mapping[str, str]]

MAX_LOTS = 200
# Durations are whole seconds. The floor lets a rehearsal or a test run a window of a few
# seconds; trading centres type and read minutes (the host console converts).
MIN_DURATION_SECONDS = 5
MAX_WINDOW_SECONDS = 24 * 3600
MAX_EXTENSION_SECONDS = 240 * 60
MIN_PUBLICITY_DAYS = 3  # the law's minimum publicity of the candidates (实施条例 art. 54)
MAX_PUBLICITY_DAYS = 30
# A demo tender's publicity, stated when it is scheduled: the demo shows a whole period in
# minutes. Every other tender has none and keeps the law's days.
MIN_DEMO_PUBLICITY_SECONDS = MIN_DURATION_SECONDS
MAX_DEMO_PUBLICITY_SECONDS = 24 * 3600


@dataclass(frozen=True, kw_only=True)
class Command:
    """Base of all commands; `name` is the wire name used in error messages and by the app."""

    name: ClassVar[str]
    actor: Actor

    def __post_init__(self) -> None:
        if not isinstance(self.actor, Actor):
            raise InvalidArgument("actor must be an Actor")
        self.check()

    def check(self) -> None:
        """Validate the fields; subclasses override."""


@dataclass(frozen=True, kw_only=True)
class BidderCommand(Command):
    """A command a bidder sends about itself; only that bidder may send it."""

    bidder: str

    def check(self) -> None:
        check_id("bidder", self.bidder)


def _check_summaries(summaries: object) -> None:
    if not isinstance(summaries, Mapping):
        raise InvalidArgument("summaries must map (lot, bidder) to items")
    for key, items in summaries.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise InvalidArgument("summaries keys must be (lot, bidder) pairs")
        check_id("summaries lot", key[0])
        check_id("summaries bidder", key[1])
        if not isinstance(items, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in items.items()
        ):
            raise InvalidArgument(f"summary items of {key!r} must map strings to strings")


@dataclass(frozen=True, kw_only=True)
class ScheduleSession(Command):
    name = "schedule_session"
    tender_id: str
    code: str
    title: str
    host: str
    organisation: str
    organisation_name: str
    lots: tuple[Lot, ...]
    deadline: datetime
    signin_opens_at: datetime
    decryption_seconds: int = 30 * 60
    confirmation_seconds: int = 15 * 60
    readout_items: tuple[ReadoutItem, ...]
    parties: TenderParties = NO_PARTIES
    demo_publicity_seconds: int | None = None

    def check(self) -> None:
        check_id("tender_id", self.tender_id)
        if self.demo_publicity_seconds is not None:
            check_int(
                "demo_publicity_seconds",
                self.demo_publicity_seconds,
                MIN_DEMO_PUBLICITY_SECONDS,
                MAX_DEMO_PUBLICITY_SECONDS,
            )
        if not isinstance(self.parties, TenderParties):
            raise InvalidArgument("parties must be TenderParties", field="parties")
        check_id("code", self.code)
        check_text("title", self.title, MAX_LABEL_LENGTH)
        check_id("host", self.host)
        check_id("organisation", self.organisation)
        check_name("organisation_name", self.organisation_name)
        if not isinstance(self.lots, tuple) or not 1 <= len(self.lots) <= MAX_LOTS:
            raise InvalidArgument(f"lots must be a tuple of 1..{MAX_LOTS} lots")
        if not all(isinstance(lot, Lot) for lot in self.lots):
            raise InvalidArgument("lots must hold Lot values")
        check_unique("lots", (lot.id for lot in self.lots))
        check_instant("deadline", self.deadline)
        check_instant("signin_opens_at", self.signin_opens_at)
        if self.signin_opens_at > self.deadline:
            raise InvalidArgument(
                "signin_opens_at must not be after the deadline", field="signin_opens_at"
            )
        for name in ("decryption_seconds", "confirmation_seconds"):
            check_int(name, getattr(self, name), MIN_DURATION_SECONDS, MAX_WINDOW_SECONDS)
        if not isinstance(self.readout_items, tuple) or not self.readout_items:
            raise InvalidArgument("readout_items must be a non-empty tuple")
        if not all(isinstance(item, ReadoutItem) for item in self.readout_items):
            raise InvalidArgument("readout_items must hold ReadoutItem values")
        check_unique("readout_items", (item.key for item in self.readout_items))


@dataclass(frozen=True, kw_only=True)
class Reschedule(Command):
    name = "reschedule"
    deadline: datetime
    reason: str

    def check(self) -> None:
        check_instant("deadline", self.deadline)
        check_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class Abort(Command):
    name = "abort"
    reason: str

    def check(self) -> None:
        check_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class Tick(Command):
    """The scheduler's wake-up; carries what the app read from private tables for this instant."""

    name = "tick"
    bids: tuple[BidEntry, ...] = ()
    signed_in: tuple[str, ...] = ()
    summaries: Summaries = field(default_factory=dict)

    def check(self) -> None:
        if not isinstance(self.bids, tuple) or not all(isinstance(b, BidEntry) for b in self.bids):
            raise InvalidArgument("bids must be a tuple of BidEntry")
        if not isinstance(self.signed_in, tuple):
            raise InvalidArgument("signed_in must be a tuple of bidder ids")
        for bidder in self.signed_in:
            check_id("signed_in", bidder)
        _check_summaries(self.summaries)


@dataclass(frozen=True, kw_only=True)
class DecideQuorum(Command):
    name = "decide_quorum"
    lot: str
    choice: QuorumChoice
    reason: str

    def check(self) -> None:
        check_id("lot", self.lot)
        if not isinstance(self.choice, QuorumChoice):
            raise InvalidArgument("choice must be continue or stop")
        check_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class StartDecryption(Command):
    name = "start_decryption"


@dataclass(frozen=True, kw_only=True)
class SignIn(BidderCommand):
    name = "sign_in"


@dataclass(frozen=True, kw_only=True)
class RecordDecryption(BidderCommand):
    """The app opened the bid with the data key the bidder handed over; no summary here."""

    name = "record_decryption"
    lot: str

    def check(self) -> None:
        super().check()
        check_id("lot", self.lot)


@dataclass(frozen=True, kw_only=True)
class RecordDecryptionFailure(BidderCommand):
    name = "record_decryption_failure"
    lot: str
    reason_code: str

    def check(self) -> None:
        super().check()
        check_id("lot", self.lot)
        check_code("reason_code", self.reason_code)


@dataclass(frozen=True, kw_only=True)
class ExtendDecryption(Command):
    name = "extend_decryption"
    seconds: int
    reason: str

    def check(self) -> None:
        check_int("seconds", self.seconds, MIN_DURATION_SECONDS, MAX_EXTENSION_SECONDS)
        check_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class RecordPlatformFault(Command):
    """A fault outside the bidders' control; bidder None means it hit everyone."""

    name = "record_platform_fault"
    bidder: str | None
    reason: str

    def check(self) -> None:
        if self.bidder is not None:
            check_id("bidder", self.bidder)
        check_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class Pause(Command):
    name = "pause"
    reason: str

    def check(self) -> None:
        check_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class Resume(Command):
    name = "resume"


@dataclass(frozen=True, kw_only=True)
class CloseDecryption(Command):
    name = "close_decryption"
    summaries: Summaries

    def check(self) -> None:
        _check_summaries(self.summaries)


@dataclass(frozen=True, kw_only=True)
class Confirm(BidderCommand):
    """`signature`: the bidder's over its confirmation of the read-out (bidseal.statements);
    the app checked it against the bidder's key. Empty only where no app runs (core tests)."""

    name = "confirm"
    signature: str = ""

    def check(self) -> None:
        super().check()
        if self.signature:
            check_signature("signature", self.signature)


@dataclass(frozen=True, kw_only=True)
class RaiseObjection(BidderCommand):
    name = "raise_objection"
    lot: str | None
    text: str
    # The bidder's random nonce and its signature over the objection (bidseal.statements),
    # checked by the app; empty only where no app runs (core tests).
    nonce: str = ""
    signature: str = ""

    def check(self) -> None:
        super().check()
        if self.lot is not None:
            check_id("lot", self.lot)
        check_text("text", self.text)
        _check_signed(self.nonce, self.signature)


def _check_signed(nonce: str, signature: str) -> None:
    """A bidder's nonce and signature, where given, in their encoding (verified by the app)."""
    if nonce:
        check_signature("nonce", nonce)
    if signature:
        check_signature("signature", signature)


@dataclass(frozen=True, kw_only=True)
class AnswerObjection(Command):
    name = "answer_objection"
    objection_id: str
    text: str

    def check(self) -> None:
        check_id("objection_id", self.objection_id)
        check_text("text", self.text)


@dataclass(frozen=True, kw_only=True)
class CloseConfirmation(Command):
    name = "close_confirmation"


@dataclass(frozen=True, kw_only=True)
class PublishRecord(Command):
    """The app built the record with build_record, signed it and stored it."""

    name = "publish_record"
    sha256: str
    signature: str

    def check(self) -> None:
        check_sha256("sha256", self.sha256)
        check_signature("signature", self.signature)


@dataclass(frozen=True, kw_only=True)
class SetEvaluationStage(Command):
    name = "set_evaluation_stage"
    stage: EvaluationStage

    def check(self) -> None:
        if not isinstance(self.stage, EvaluationStage):
            raise InvalidArgument("stage must be an EvaluationStage")


@dataclass(frozen=True, kw_only=True)
class PublishResult(Command):
    """A lot's result: candidates ranked first to third, or 流标; every other bid's reason."""

    name = "publish_result"
    lot: str
    outcome: ResultOutcome
    candidates: tuple[Candidate, ...]  # in rank order: first, second, third
    reasons: Mapping[str, Reason]
    failure: str = ""  # with FAILED: why the lot failed (流标原因)
    publicity_days: int
    sha256: str
    signature: str

    def check(self) -> None:
        check_id("lot", self.lot)
        if not isinstance(self.outcome, ResultOutcome):
            raise InvalidArgument("outcome must be candidates or failed", field="outcome")
        if not isinstance(self.candidates, tuple) or not all(
            isinstance(candidate, Candidate) for candidate in self.candidates
        ):
            raise InvalidArgument("candidates must be a tuple of Candidate", field="candidates")
        check_unique("candidates", (candidate.bidder for candidate in self.candidates))
        if len(self.candidates) > MAX_CANDIDATES:
            raise InvalidArgument(
                f"at most {MAX_CANDIDATES} candidates are ranked", field="candidates"
            )
        if self.outcome is ResultOutcome.CANDIDATES:
            if not self.candidates:
                raise InvalidArgument(
                    "a result with candidates names at least one; a lot without any fails",
                    field="candidates",
                )
            if self.failure != "":
                raise InvalidArgument("only a failed lot has a failure reason", field="failure")
        else:
            if self.candidates:
                raise InvalidArgument("a failed lot (流标) names no candidate", field="candidates")
            check_text("failure", self.failure)
        if not isinstance(self.reasons, Mapping):
            raise InvalidArgument("reasons must map bidders to reasons", field="reasons")
        for bidder, reason in self.reasons.items():
            check_id("reasons", bidder)
            if not isinstance(reason, Reason):
                raise InvalidArgument("reasons must hold Reason values", field="reasons")
        both = sorted({candidate.bidder for candidate in self.candidates} & set(self.reasons))
        if both:
            raise InvalidArgument(
                f"a candidate cannot also be rejected or unranked: {both}", field="reasons"
            )
        check_int("publicity_days", self.publicity_days, MIN_PUBLICITY_DAYS, MAX_PUBLICITY_DAYS)
        check_sha256("sha256", self.sha256)
        check_signature("signature", self.signature)


@dataclass(frozen=True, kw_only=True)
class RaiseResultObjection(BidderCommand):
    """A bidder's objection to a lot's published result, during its publicity (实施条例 art. 54)."""

    name = "object_to_result"
    lot: str
    text: str
    # The bidder's random nonce and its signature over the objection (bidseal.statements),
    # checked by the app; empty only where no app runs (core tests).
    nonce: str = ""
    signature: str = ""

    def check(self) -> None:
        super().check()
        check_id("lot", self.lot)
        check_text("text", self.text)
        _check_signed(self.nonce, self.signature)


@dataclass(frozen=True, kw_only=True)
class AnswerResultObjection(Command):
    name = "answer_result_objection"
    objection_id: str
    text: str

    def check(self) -> None:
        check_id("objection_id", self.objection_id)
        check_text("text", self.text)


# Every command, so that tests can demand a table row for each (phase, command).
ALL_COMMANDS: tuple[type[Command], ...] = (
    ScheduleSession,
    Reschedule,
    Abort,
    Tick,
    DecideQuorum,
    StartDecryption,
    SignIn,
    RecordDecryption,
    RecordDecryptionFailure,
    ExtendDecryption,
    RecordPlatformFault,
    Pause,
    Resume,
    CloseDecryption,
    Confirm,
    RaiseObjection,
    AnswerObjection,
    CloseConfirmation,
    PublishRecord,
    SetEvaluationStage,
    PublishResult,
    RaiseResultObjection,
    AnswerResultObjection,
)
