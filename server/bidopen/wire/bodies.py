"""The REST request bodies: one msgspec declaration per endpoint, the only source of their checks.

Limits (lengths, ranges, patterns) live in the field types, so the JSON Schema that
`msgspec.json.schema(Body)` derives states exactly what the hub checks. Bodies refuse
members they do not declare; the key bundle, a format of its own, ignores them (its spec
says so). Checks that need the domain (a deadline in the future, a winner among the
ranked, content rules of names) follow in the service and the session core, and fail
with the same code (`validation_failed`) naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from bidopen.session.commands import (
    MAX_DEMO_PUBLICITY_SECONDS,
    MAX_EXTENSION_SECONDS,
    MAX_LOTS,
    MAX_PUBLICITY_DAYS,
    MAX_WINDOW_SECONDS,
    MIN_DEMO_PUBLICITY_SECONDS,
    MIN_DURATION_SECONDS,
    MIN_PUBLICITY_DAYS,
)
from bidopen.session.validate import MAX_ID_LENGTH, MAX_LABEL_LENGTH, MAX_TEXT_LENGTH
from bidopen.session.values import (
    MAX_CANDIDATES,
    Disposition,
    EvaluationStage,
    QuorumChoice,
    ResultOutcome,
)
from bidseal.readout import MAX_TEXT_ITEM_LENGTH, ItemType

# Patterns are searched (JSON Schema's and msgspec's rule), so each is anchored; every one
# runs in linear time, whatever the input, and is valid in ECMA-262 as JSON Schema needs.
# The one declaration of the id pattern: a stricter one replaces this line and applies to
# every id of every body (and to their published schema) at once.
ID_PATTERN = r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"
# A name or a label: one line, not blank.
LINE_PATTERN = r"^(?=\s*\S)[^\x00-\x1f\x7f]*$"
# Free text (reasons, objections, answers): line breaks and tabs allowed, not blank.
TEXT_PATTERN = r"^(?=\s*\S)[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
B64U_PATTERN = r"^[A-Za-z0-9_-]*$"
# A 32-byte key in base64url without padding is exactly 43 characters.
KEY_32_PATTERN = r"^[A-Za-z0-9_-]{43}$"
CODE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
# Empty, or a line / text as above (an optional clause, a failure reason only a failed lot has).
OPTIONAL_LINE_PATTERN = r"^(?:(?=\s*\S)[^\x00-\x1f\x7f]*)?$"
OPTIONAL_TEXT_PATTERN = r"^(?:(?=\s*\S)[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*)?$"
# A total score: up to four digits, at most two decimals.
SCORE_PATTERN = r"^(0|[1-9][0-9]{0,3})(\.[0-9]{1,2})?$"
# The canonical amount of bidseal.readout, below one trillion yuan.
AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$"

Id = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=ID_PATTERN,
        description="An id: no surrounding spaces, no control characters.",
    ),
]
Line = Annotated[str, Meta(min_length=1, max_length=MAX_LABEL_LENGTH, pattern=LINE_PATTERN)]
Text = Annotated[str, Meta(min_length=1, max_length=MAX_TEXT_LENGTH, pattern=TEXT_PATTERN)]
Instant = Annotated[
    datetime, Meta(tz=True, description="RFC 3339 instant with an offset (`Z` or `+08:00`).")
]
Amount = Annotated[
    str,
    Meta(
        pattern=AMOUNT_PATTERN,
        description="Yuan with two decimals, no separators: `8650000.00` (最高投标限价).",
    ),
]
Score = Annotated[str, Meta(pattern=SCORE_PATTERN, description="A total score: `92.50`.")]
Key32 = Annotated[str, Meta(pattern=KEY_32_PATTERN, description="32 bytes, base64url.")]


class Body(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: no member beyond those declared."""


class NoBody(Body, frozen=True):
    """Endpoints that take no fields: the body is empty or `{}`."""


# -- sign-in and registration -----------------------------------------------------------


class HostLogin(Body, frozen=True):
    username: Annotated[str, Meta(min_length=1, max_length=64, pattern=LINE_PATTERN)]
    # Bounded so a password cannot make hashing expensive; not stored, so any text.
    password: Annotated[str, Meta(min_length=1, max_length=1024)]


class PublicKeyBundle(msgspec.Struct, frozen=True, kw_only=True):
    """A `bidseal-public-key/1` object (sealed-bid format 1.3); other members are ignored."""

    format: Literal["bidseal-public-key/1"]
    encryption_key: Annotated[str, Meta(min_length=1, max_length=128, pattern=B64U_PATTERN)]
    signing_key: Annotated[str, Meta(min_length=1, max_length=128, pattern=B64U_PATTERN)]


class RegisterBidder(Body, frozen=True):
    org_name: Line
    contact: Line
    # The bundle object, or its JSON text.
    public_bundle: PublicKeyBundle | Annotated[str, Meta(max_length=1024)]

    def bundle_text(self) -> str:
        """The bundle as JSON text, for the format's own reader to check its keys."""
        if isinstance(self.public_bundle, str):
            return self.public_bundle
        return msgspec.json.encode(self.public_bundle).decode()


class BidderLogin(Body, frozen=True):
    challenge: Annotated[str, Meta(min_length=1, max_length=128, pattern=B64U_PATTERN)]
    signature: Annotated[str, Meta(min_length=1, max_length=256, pattern=B64U_PATTERN)]


# -- tenders ----------------------------------------------------------------------------


class LotSpec(Body, frozen=True):
    id: Id
    name: Line
    ceiling: Amount | None = None


class ReadoutItemSpec(Body, frozen=True):
    key: Annotated[str, Meta(pattern=CODE_PATTERN)]
    label_zh: Line
    label_en: Line
    type: ItemType = ItemType.TEXT
    max_length: Annotated[int, Meta(ge=1, le=MAX_TEXT_ITEM_LENGTH)] = MAX_TEXT_ITEM_LENGTH


class CreateTender(Body, frozen=True):
    title: Line
    lots: Annotated[list[LotSpec], Meta(min_length=1, max_length=MAX_LOTS)]
    deadline: Instant
    signin_opens_at: Instant | None = None
    # Whole seconds (protocol section 3); trading centres type minutes in the host console.
    decryption_seconds: Annotated[int, Meta(ge=MIN_DURATION_SECONDS, le=MAX_WINDOW_SECONDS)] = 1800
    confirmation_seconds: Annotated[int, Meta(ge=MIN_DURATION_SECONDS, le=MAX_WINDOW_SECONDS)] = 900
    readout_items: Annotated[list[ReadoutItemSpec], Meta(min_length=1, max_length=50)] | None = None
    tenderer: Line | None = None  # 招标人
    agency: Line | None = None  # 招标代理机构
    # 依法必须招标: a lot with fewer than three bids can then only be stopped.
    tendered_by_law: bool = False
    # Only a hub running the demo takes it: the demo's shortened publicity of results.
    demo_publicity_seconds: (
        Annotated[int, Meta(ge=MIN_DEMO_PUBLICITY_SECONDS, le=MAX_DEMO_PUBLICITY_SECONDS)] | None
    ) = None


# -- bids and keys ----------------------------------------------------------------------


class DataKey(Body, frozen=True):
    data_key: Key32


class RehearsalAnswer(Body, frozen=True):
    key: Key32


# -- session commands -------------------------------------------------------------------


class Reasoned(Body, frozen=True):
    reason: Text


class DecideQuorum(Body, frozen=True):
    lot: Id
    choice: QuorumChoice
    reason: Text


class ExtendDecryption(Body, frozen=True):
    seconds: Annotated[int, Meta(ge=MIN_DURATION_SECONDS, le=MAX_EXTENSION_SECONDS)]
    reason: Text


class RecordPlatformFault(Body, frozen=True):
    reason: Text
    bidder: Id | None = None  # None: the fault hit everyone


class AnswerObjection(Body, frozen=True):
    objection_id: Id
    text: Text


class Reschedule(Body, frozen=True):
    deadline: Instant
    reason: Text


class SetEvaluationStage(Body, frozen=True):
    stage: EvaluationStage


class CandidateSpec(Body, frozen=True):
    bidder: Id
    price: Amount | None = None  # the evaluated price, where the method has one
    score: (
        Annotated[str, Meta(pattern=SCORE_PATTERN, description="Total score: `92.50`.")] | None
    ) = None


class ReasonSpec(Body, frozen=True):
    """Why a bid is no candidate: `rejected` (否决投标, a clause) or `not_ranked` (未入围)."""

    text: Text
    disposition: Disposition = Disposition.REJECTED
    clause: Annotated[str, Meta(max_length=MAX_LABEL_LENGTH, pattern=OPTIONAL_LINE_PATTERN)] = ""


class PublishResult(Body, frozen=True):
    lot: Id
    outcome: ResultOutcome = ResultOutcome.CANDIDATES
    candidates: Annotated[
        list[CandidateSpec],
        Meta(max_length=MAX_CANDIDATES, description="中标候选人 in rank order (first to third)."),
    ] = msgspec.field(default_factory=list)
    reasons: Annotated[dict[Id, ReasonSpec], Meta(max_length=1000)] = msgspec.field(
        default_factory=dict
    )
    # With `failed` (流标): why the lot failed.
    failure: Annotated[str, Meta(max_length=MAX_TEXT_LENGTH, pattern=OPTIONAL_TEXT_PATTERN)] = ""
    publicity_days: Annotated[int, Meta(ge=MIN_PUBLICITY_DAYS, le=MAX_PUBLICITY_DAYS)] = (
        MIN_PUBLICITY_DAYS
    )


# A bidder's ECDSA P-256 signature, b64u `r || s` (protocol.md 5.6); "" is refused as missing.
BidderSignature = Annotated[str, Meta(max_length=128, pattern=B64U_PATTERN)]
Nonce = Annotated[str, Meta(min_length=16, max_length=64, pattern=B64U_PATTERN)]


class Confirm(Body, frozen=True):
    signature: BidderSignature = ""


class RaiseResultObjection(Body, frozen=True):
    lot: Id
    text: Text
    nonce: Nonce
    signature: BidderSignature = ""


class AnswerResultObjection(Body, frozen=True):
    objection_id: Id
    text: Text


class RaiseObjection(Body, frozen=True):
    text: Text
    nonce: Nonce
    lot: Id | None = None  # None: about the whole opening
    signature: BidderSignature = ""


HOST_COMMAND_BODIES: dict[str, type[Body]] = {
    "start_decryption": NoBody,
    "decide_quorum": DecideQuorum,
    "extend_decryption": ExtendDecryption,
    "pause": Reasoned,
    "resume": NoBody,
    "record_platform_fault": RecordPlatformFault,
    "close_decryption": NoBody,
    "answer_objection": AnswerObjection,
    "close_confirmation": NoBody,
    "publish_record": NoBody,
    "abort": Reasoned,
    "reschedule": Reschedule,
    "set_evaluation_stage": SetEvaluationStage,
    "publish_result": PublishResult,
    "answer_result_objection": AnswerResultObjection,
}

BIDDER_COMMAND_BODIES: dict[str, type[Body]] = {
    "confirm": Confirm,
    "object": RaiseObjection,
    "object_to_result": RaiseResultObjection,
}


# -- live video -------------------------------------------------------------------------


class VideoOffer(Body, frozen=True):
    """An SDP offer; its size is bounded again by the relay's `max_sdp_bytes`."""

    type: Literal["offer"]
    sdp: Annotated[str, Meta(min_length=1, max_length=256 * 1024, pattern=r"^v=0")]


# -- socket messages --------------------------------------------------------------------


class MemberAuth(Body, frozen=True):
    """The `auth` of a `/host` or `/bidder` connection."""

    token: Annotated[str, Meta(min_length=1, max_length=256)]


class PublicAuth(Body, frozen=True):
    """The `auth` of a `/public` connection: the session to watch."""

    session_id: Id


class SessionRef(Body, frozen=True):
    """`join` and `leave`."""

    session_id: Id


class CatchUp(Body, frozen=True):
    session_id: Id
    after: Annotated[int, Meta(ge=0, le=2**62)] = 0
