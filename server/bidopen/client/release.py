"""When a bidder's client may hand over a data key: decided from what the client holds itself.

The hub asks for a bid's data key during the decryption window, but a client that believed
the hub could be made to open a bid before its deadline, or a bid the bidder replaced or
withdrew (docs/security.md, "The bidder's client against a dishonest operator"). So the
client decides from its own signed documents and its own clock:

- the bid is the one of the latest receipt this client kept for that tender and lot, and no
  withdrawal it kept ends it; the sealed file given must be that very bid (its hash);
- the deadline is the receipt's, or a later one from a postponement notice signed by the
  same key for the same tender; a document naming an earlier deadline is refused; a later
  deadline the hub only states (unsigned) is waited for too, since waiting costs nothing;
- the client's own clock must read at least `margin` past that deadline. The hub's clock
  serves countdowns only.

Everything here is pure: the caller gathers the documents and reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bidopen.client.errors import ClientError
from bidopen.clock import iso, parse_iso

# How far past the deadline the bidder's own clock must be before a key is handed over:
# a clock that is fast by less than this cannot open a bid early.
CLOCK_MARGIN = timedelta(seconds=2)
# Receipts and withdrawals from this version on sign the deadline (sealed-bid format 4.1).
FIRST_VERSION_WITH_DEADLINE = 2


class KeyReleaseRefused(ClientError):
    """The client will not hand over this data key (now, or at all); the message says why."""


@dataclass(frozen=True)
class BidDocument:
    """A verified receipt or withdrawal (sealed-bid format 4.1), as the client keeps it."""

    type: str  # "receipt" or "withdrawal"
    tender: str
    lot: str
    bidder: str
    bid_sha256: str
    deadline: datetime | None  # None in version-1 documents, which did not sign it
    tender_code: str
    tender_title: str
    lot_name: str
    at: datetime  # received_at of a receipt, withdrawn_at of a withdrawal
    key: bytes  # the server key that signed it

    @classmethod
    def from_payload(cls, type_: str, payload: Mapping[str, Any], key: bytes) -> BidDocument:
        try:
            version = payload.get("version", 1)
            deadline = payload.get("deadline")
            at = payload["received_at" if type_ == "receipt" else "withdrawn_at"]
            return cls(
                type=type_,
                tender=str(payload["tender"]),
                lot=str(payload["lot"]),
                bidder=str(payload["bidder"]),
                bid_sha256=str(payload["bid_sha256"]),
                deadline=(
                    parse_iso(str(deadline))
                    if isinstance(version, int)
                    and version >= FIRST_VERSION_WITH_DEADLINE
                    and deadline is not None
                    else None
                ),
                tender_code=str(payload.get("tender_code", "")),
                tender_title=str(payload.get("tender_title", "")),
                lot_name=str(payload.get("lot_name", "")),
                at=parse_iso(str(at)),
                key=key,
            )
        except (KeyError, TypeError, ValueError):
            raise ClientError(
                "document_invalid", f"the {type_} lacks a member or has a wrong one"
            ) from None


@dataclass(frozen=True)
class Postponement:
    """A verified postponement notice: the tender's deadline moved from `previous` to `deadline`."""

    tender: str
    previous: datetime
    deadline: datetime
    key: bytes

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], key: bytes) -> Postponement:
        try:
            return cls(
                tender=str(payload["tender"]),
                previous=parse_iso(str(payload["previous_deadline"])),
                deadline=parse_iso(str(payload["deadline"])),
                key=key,
            )
        except (KeyError, TypeError, ValueError):
            raise ClientError("document_invalid", "the postponement notice is malformed") from None


@dataclass(frozen=True)
class DeadlineStatement:
    """The hub's signed word, over this client's nonce, on the deadline in force now."""

    tender: str
    deadline: datetime
    postponements: int
    nonce: str
    key: bytes

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], key: bytes) -> DeadlineStatement:
        try:
            return cls(
                tender=str(payload["tender"]),
                deadline=parse_iso(str(payload["deadline"])),
                postponements=int(payload["postponements"]),
                nonce=str(payload["nonce"]),
                key=key,
            )
        except (KeyError, TypeError, ValueError):
            raise ClientError("document_invalid", "the deadline statement is malformed") from None


def chosen_bid(
    kept: Sequence[BidDocument], tender: str, lot: str, bidder: str, sealed_sha256: str
) -> BidDocument:
    """The receipt of the bid this client may open in (tender, lot): its latest, not withdrawn.

    `kept` is every receipt and withdrawal the client kept, oldest first; `sealed_sha256` is the
    hash of the sealed file the bidder gave (or the browser stored).
    """
    mine = [d for d in kept if (d.tender, d.lot, d.bidder) == (tender, lot, bidder)]
    receipts = [d for d in mine if d.type == "receipt"]
    if not receipts:
        raise KeyReleaseRefused(
            "no_receipt",
            f"this client keeps no signed receipt for tender {tender}, lot {lot}; it opens "
            "only bids whose receipt it holds (import one with --receipt)",
            f"本机没有项目 {tender} 标段 {lot} 的签名回执，不解密（可用 --receipt 导入回执）",
        )
    # The newest by the hub's signed time, whatever order receipts were kept or imported in.
    latest = max(receipts, key=lambda d: d.at)
    withdrawn = any(
        d.type == "withdrawal" and d.bid_sha256 == latest.bid_sha256 and d.at >= latest.at
        for d in mine
    )
    if withdrawn:
        raise KeyReleaseRefused(
            "bid_withdrawn",
            f"your bid {latest.bid_sha256[:16]} in lot {lot} was withdrawn; it is never opened",
            f"您在标段 {lot} 的投标 {latest.bid_sha256[:16]} 已撤回，不会解密",
        )
    if sealed_sha256 != latest.bid_sha256:
        replaced = any(d.bid_sha256 == sealed_sha256 for d in receipts)
        raise KeyReleaseRefused(
            "bid_replaced" if replaced else "not_this_bid",
            f"this sealed file ({sealed_sha256[:16]}) is not your current bid in lot {lot} "
            f"(receipt of {iso(latest.at)}: {latest.bid_sha256[:16]})"
            + ("; it was replaced and is never opened" if replaced else ""),
            f"该投标文件不是您在标段 {lot} 的有效投标"
            + ("（已被替换，不会解密）" if replaced else ""),
        )
    if latest.deadline is None:
        raise KeyReleaseRefused(
            "receipt_without_deadline",
            "this receipt does not sign the deadline (an older version); the client cannot "
            "tell when the deadline has passed and does not open the bid",
            "该回执未签署截止时间（旧版本），无法判断截止时间是否已过，不解密",
        )
    return latest


def _earlier(named: datetime, signed: datetime, what: str, what_zh: str) -> KeyReleaseRefused:
    return KeyReleaseRefused(
        "deadline_earlier",
        f"{what} names the deadline {iso(named)}, earlier than {iso(signed)} which your "
        "receipt or a notice signs; a deadline only moves later",
        f"{what_zh}的截止时间 {iso(named)} 早于已签署的截止时间 {iso(signed)}，不予接受",
    )


def signed_deadline(
    receipt: BidDocument,
    notices: Sequence[Postponement],
    statement: DeadlineStatement | None = None,
    nonce: str | None = None,
) -> datetime:
    """The deadline in force by signed documents: the receipt's, or a later notice's.

    A notice for another tender, signed by another key, or naming a deadline earlier than the
    receipt's, is refused: an honest hub never moves a deadline earlier. The statement, asked
    for with `nonce`, must agree: same key and tender, our nonce, no earlier deadline, and no
    more postponements than the notices shown (a hidden notice is a refusal, not a guess).
    """
    assert receipt.deadline is not None
    deadline = receipt.deadline
    for notice in notices:
        if notice.tender != receipt.tender or notice.key != receipt.key:
            raise KeyReleaseRefused(
                "notice_invalid",
                "a postponement notice names another tender or is signed by another key",
                "延期通知所属项目或签名密钥不符",
            )
        if notice.deadline < deadline:
            raise _earlier(notice.deadline, deadline, "a postponement notice", "延期通知")
        deadline = notice.deadline
    if statement is None:
        return deadline
    if (statement.tender, statement.key, statement.nonce) != (receipt.tender, receipt.key, nonce):
        raise KeyReleaseRefused(
            "notice_invalid",
            "the deadline statement names another tender, key or request",
            "截止时间声明所属项目、签名密钥或请求不符",
        )
    if statement.deadline < deadline:
        raise _earlier(statement.deadline, deadline, "the hub's deadline statement", "截止时间声明")
    if statement.postponements != len(notices):
        raise KeyReleaseRefused(
            "notice_missing",
            f"the hub states {statement.postponements} postponement(s) but shows "
            f"{len(notices)} signed notice(s); not opening while the deadline is unclear",
            f"平台声明延期 {statement.postponements} 次，"
            f"但只提供 {len(notices)} 份签名通知，不解密",
        )
    return max(deadline, statement.deadline)


@dataclass(frozen=True)
class KeyRelease:
    """What the client is about to open, and from when its own clock allows it."""

    receipt: BidDocument
    deadline: datetime  # the latest deadline known: signed, or stated by the hub
    signed: datetime  # the deadline by signed documents alone
    opens_at: datetime  # deadline + margin, on the bidder's own clock

    @property
    def unsigned_later(self) -> bool:
        """The hub states a later deadline than any signed document: waited for, and told."""
        return self.deadline > self.signed

    def describe(self) -> str:
        r = self.receipt
        return (
            f"tender {r.tender_code or r.tender} {r.tender_title} · lot {r.lot_name or r.lot} · "
            f"receipt {iso(r.at)} · bid {r.bid_sha256}"
        )

    def describe_zh(self) -> str:
        r = self.receipt
        return (
            f"项目 {r.tender_code or r.tender}「{r.tender_title}」· 标段 {r.lot_name or r.lot} · "
            f"递交时间 {iso(r.at)} · 投标文件 {r.bid_sha256}"
        )


def plan_release(
    receipt: BidDocument,
    notices: Sequence[Postponement],
    stated: Iterable[datetime] = (),
    margin: timedelta = CLOCK_MARGIN,
    statement: DeadlineStatement | None = None,
    nonce: str | None = None,
) -> KeyRelease:
    """When the bid of `receipt` may be opened: never before the latest deadline anyone named."""
    signed = signed_deadline(receipt, notices, statement, nonce)
    deadline = max((signed, *stated))
    return KeyRelease(receipt=receipt, deadline=deadline, signed=signed, opens_at=deadline + margin)


def check_time(release: KeyRelease, own_now: datetime, hub_now: datetime | None = None) -> None:
    """KeyReleaseRefused("before_deadline") unless the bidder's own clock allows opening now."""
    if own_now >= release.opens_at:
        return
    hub = f"; the hub's clock reads {iso(hub_now)}" if hub_now is not None else ""
    hub_zh = f"；平台时钟为 {iso(hub_now)}" if hub_now is not None else ""
    unsigned = (
        f" (the hub states {iso(release.deadline)} without a signed notice; "
        f"the signed deadline is {iso(release.signed)})"
        if release.unsigned_later
        else ""
    )
    raise KeyReleaseRefused(
        "before_deadline",
        f"not before the deadline {iso(release.deadline)}{unsigned}: this computer's clock "
        f"reads {iso(own_now)}{hub}; the key is handed over from {iso(release.opens_at)}",
        f"截止时间 {iso(release.deadline)} 未到，不解密：本机时钟为 {iso(own_now)}{hub_zh}",
    )
