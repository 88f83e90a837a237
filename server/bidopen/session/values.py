"""Small value objects shared by commands, events and the session state."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bidseal.readout import MAX_TEXT_ITEM_LENGTH, conforms
from bidseal.readout import ItemType as ItemType  # a value of the core, re-exported

from .errors import InvalidArgument
from .validate import (
    MAX_LABEL_LENGTH,
    check_code,
    check_id,
    check_instant,
    check_int,
    check_name,
    check_sha256,
    check_text,
)

MIN_BIDS = 3  # fewer bids than this in a lot needs the host's recorded choice
# The organisation of every tender scheduled before tenders had one (their logs lack it).
DEFAULT_ORGANISATION = "default"


class Role(StrEnum):
    # A host acts for its organisation: a host actor's id is the organisation's id, so any
    # host of the tender's organisation may run it and no other may (docs/security.md).
    HOST = "host"
    BIDDER = "bidder"
    SYSTEM = "system"
    PUBLIC = "public"


class QuorumChoice(StrEnum):
    CONTINUE = "continue"
    STOP = "stop"


class BidStatus(StrEnum):
    """How a bid came out of decryption."""

    OPENED = "opened"
    REVOKED = "revoked"  # 撤销: stayed encrypted through the bidder's own fault
    WITHDRAWN = "withdrawn"  # 撤回: stayed encrypted through a fault outside the bidder


class OutcomeCause(StrEnum):
    """Why a bid has its status; the record states it next to the status."""

    DECRYPTED = "decrypted"
    PLATFORM_FAULT = "platform_fault"
    KEY_REJECTED = "key_rejected"
    NOT_DECRYPTED = "not_decrypted"
    NOT_SIGNED_IN = "not_signed_in"
    # Decrypted, but a read-out value breaks its item's type: only a hand-made file can
    # (the sealing tools refuse such a value), so it is the bidder's own cause.
    VALUE_NOT_OF_TYPE = "value_not_of_type"


class EvaluationStage(StrEnum):
    """Stages of the evaluation shown on the big screen, in the order they must come."""

    QUALIFICATION = "qualification"
    TECHNICAL = "technical"
    COMMERCIAL = "commercial"
    SCORING = "scoring"
    REPORT = "report"

    @property
    def rank(self) -> int:
        return list(EvaluationStage).index(self)


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who sends a command, as the app authenticated it."""

    role: Role
    id: str

    def __post_init__(self) -> None:
        if not isinstance(self.role, Role):
            raise InvalidArgument("actor.role must be a Role")
        check_id("actor.id", self.id)


@dataclass(frozen=True, kw_only=True)
class Lot:
    """A lot (标段) of the tender; all lots of a session share its windows."""

    id: str
    name: str
    # 最高投标限价 in canonical yuan ("8650000.00"); None where the tender states none
    # (and in logs written before ceilings were kept).
    ceiling: str | None = None

    def __post_init__(self) -> None:
        check_id("lot.id", self.id)
        check_text("lot.name", self.name, MAX_LABEL_LENGTH)
        if self.ceiling is not None and not (
            isinstance(self.ceiling, str) and conforms(ItemType.AMOUNT, self.ceiling)
        ):
            raise InvalidArgument("lot.ceiling must be an amount like 8650000.00", field="ceiling")


@dataclass(frozen=True, kw_only=True)
class TenderParties:
    """Who tenders and under which rule: what an opening record names besides the lots."""

    tenderer: str = ""  # 招标人 ("" in logs written before parties were kept)
    agency: str = ""  # 招标代理机构; "" when the tenderer runs the tender itself
    # 依法必须招标: a lot with fewer than MIN_BIDS bids can only be stopped (实施条例 art. 44).
    tendered_by_law: bool = False

    def __post_init__(self) -> None:
        for name in ("tenderer", "agency"):
            value = getattr(self, name)
            if value != "":
                check_text(f"parties.{name}", value, MAX_LABEL_LENGTH)
        if not isinstance(self.tendered_by_law, bool):
            raise InvalidArgument("parties.tendered_by_law must be true or false")


NO_PARTIES = TenderParties()  # immutable, so one shared default


@dataclass(frozen=True, kw_only=True)
class ReadoutItem:
    """One item read out for every opened bid (price, duration, ...), labelled in both languages."""

    key: str
    label_zh: str
    label_en: str
    # Logs written before items were typed replay as text, which any value they read out is.
    type: ItemType = ItemType.TEXT
    max_length: int = MAX_TEXT_ITEM_LENGTH  # of a text item

    def __post_init__(self) -> None:
        check_code("readout_item.key", self.key)
        check_text("readout_item.label_zh", self.label_zh, MAX_LABEL_LENGTH)
        check_text("readout_item.label_en", self.label_en, MAX_LABEL_LENGTH)
        if not isinstance(self.type, ItemType):
            raise InvalidArgument("readout_item.type must be an ItemType", field="type")
        check_int("readout_item.max_length", self.max_length, 1, MAX_TEXT_ITEM_LENGTH)


@dataclass(frozen=True, kw_only=True)
class BidEntry:
    """A bid stored before the deadline, as the app hands it over at the deadline tick.

    `bidder_name` is the organisation as registered; the deadline event is the first place
    the log names it, so the record and every replay carry it.
    `received_at` is when its last byte arrived: the read-out follows it. Logs written
    before it was kept carry `receipt_no` instead (a counter per bidder), so they replay
    in the order they were read out then.
    """

    lot: str
    bidder: str
    # "" only in logs written before names were kept, so those logs still replay.
    bidder_name: str = ""
    bid_sha256: str
    received_at: datetime | None = None
    receipt_no: int | None = None

    def __post_init__(self) -> None:
        check_id("bid.lot", self.lot)
        check_id("bid.bidder", self.bidder)
        check_name("bid.bidder_name", self.bidder_name)
        check_sha256("bid.bid_sha256", self.bid_sha256)
        if self.received_at is None and self.receipt_no is None:
            raise InvalidArgument("bid.received_at is required")
        if self.received_at is not None:
            check_instant("bid.received_at", self.received_at)
        if self.receipt_no is not None:
            check_int("bid.receipt_no", self.receipt_no, 1, 2**63 - 1)


def receipt_numbers(bids: tuple[BidEntry, ...]) -> dict[tuple[str, str], int]:
    """Each bid's number in the record: 1..n in the order the bids were received.

    Ties (the same microsecond) fall to the bidder's id, then the lot's. A bid of an old
    log keeps the number it was read out with.
    """
    received = sorted(
        (bid.received_at, bid.bidder, bid.lot) for bid in bids if bid.received_at is not None
    )
    numbers = {(lot, bidder): n for n, (_, bidder, lot) in enumerate(received, start=1)}
    for bid in bids:
        if bid.receipt_no is not None:
            numbers[(bid.lot, bid.bidder)] = bid.receipt_no
    return numbers


class ResultOutcome(StrEnum):
    """What a lot's evaluation result declares."""

    CANDIDATES = "candidates"  # 中标候选人, ranked first to third
    FAILED = "failed"  # 流标: no candidate; the lot is tendered again


class Disposition(StrEnum):
    """Why a bid is not among a lot's candidates."""

    REJECTED = "rejected"  # 否决投标, under a clause of the tender documents
    NOT_RANKED = "not_ranked"  # 未入围: a valid bid not among the first three


MAX_CANDIDATES = 3  # 中标候选人 are ranked first to third, no more
_SCORE = re.compile(r"(0|[1-9][0-9]{0,3})(\.[0-9]{1,2})?")


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A 中标候选人, in rank order within its result; price and score where the method has them."""

    bidder: str
    price: str | None = None  # the evaluated price in canonical yuan ("990000.50")
    score: str | None = None  # the total score ("92.50"), for methods that score

    def __post_init__(self) -> None:
        check_id("candidates.bidder", self.bidder)
        if self.price is not None and not (
            isinstance(self.price, str) and conforms(ItemType.AMOUNT, self.price)
        ):
            raise InvalidArgument(
                "candidates.price must be an amount like 990000.50", field="candidates.price"
            )
        if self.score is not None and not (
            isinstance(self.score, str) and _SCORE.fullmatch(self.score)
        ):
            raise InvalidArgument(
                "candidates.score must be a number like 92.50 (at most two decimals)",
                field="candidates.score",
            )


@dataclass(frozen=True, kw_only=True)
class Reason:
    """Why a bid is not a candidate: rejected (否决投标) under a clause, or not ranked (未入围)."""

    disposition: Disposition = Disposition.REJECTED
    clause: str = ""  # the clause of the tender documents; required for a rejection
    text: str

    def __post_init__(self) -> None:
        if not isinstance(self.disposition, Disposition):
            raise InvalidArgument("reason.disposition must be a Disposition", field="disposition")
        if self.disposition is Disposition.REJECTED or self.clause != "":
            check_text("reason.clause", self.clause, MAX_LABEL_LENGTH)
        check_text("reason.text", self.text)


@dataclass(frozen=True, kw_only=True)
class BidOutcome:
    """The status a bid got when decryption ended, and why."""

    lot: str
    bidder: str
    status: BidStatus
    cause: OutcomeCause
    # With VALUE_NOT_OF_TYPE: the first item (key) whose value broke its type.
    item: str = ""


@dataclass(frozen=True, kw_only=True)
class ReadoutLine:
    """One bid as read out: items only for opened bids, None for the others."""

    bidder: str
    bidder_name: str = ""  # "" in read-outs logged before names were kept
    status: BidStatus
    items: Mapping[str, str] | None
    # Amount items above the lot's ceiling (最高投标限价); the tender's rules say what follows.
    above_ceiling: tuple[str, ...] = ()
    # Why a bid was not opened, for the public beside its status (None in older logs).
    cause: OutcomeCause | None = None
    item: str = ""  # with VALUE_NOT_OF_TYPE: the item that broke its type


@dataclass(frozen=True, kw_only=True)
class LotReadout:
    lot: str
    lines: tuple[ReadoutLine, ...]
