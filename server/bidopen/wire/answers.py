"""The successful REST answers: one msgspec declaration per answer, attached to its route.

A view names its answer with `@answers(Body, status=…)` (`bidopen.http.declared`); the
OpenAPI document, the published schemas (docs/schemas/answers/) and the contract watch of
the test suite all read that one declaration. Signed documents and their payloads, the
socket envelopes and the error body are in `bidopen.wire.messages`; the answers here
refer to them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from bidopen.session.phases import Phase
from bidopen.wire.messages import (
    EventKind,
    EventMessage,
    Id,
    Instant,
    Message,
    Sha256,
    SignedDocument,
)
from bidseal.readout import ItemType

B64u = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]*$", description="base64url, no padding.")]


# -- server key, time, demo ---------------------------------------------------------------


class ServerKey(Message, frozen=True):
    """`GET /api/server-key`: the key every signed document carries (a retired one too)."""

    format: Literal["bidseal-server-key/1"]
    key: Annotated[B64u, Meta(description="The 65-byte uncompressed P-256 point.")]
    key_id: Annotated[str, Meta(pattern=r"^[0-9a-f]+$", description="Names the key, hex.")]
    algorithm: Literal["ECDSA-P256-SHA256"]
    retired_at: (
        Annotated[str, Meta(description="Set for a key retired by `bidopen server-key rotate`.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class ServerTime(Message, frozen=True):
    """`GET /api/time`: the hub's clock, the one that judges deadlines."""

    now: Instant


class DemoPace(Message, frozen=True):
    """`GET /api/demo`: whether the hub runs the demo, and at what pace."""

    demo: bool
    speed: int | msgspec.UnsetType = msgspec.UNSET
    countdown_seconds: int | msgspec.UnsetType = msgspec.UNSET
    window_seconds: int | msgspec.UnsetType = msgspec.UNSET
    round_seconds: int | msgspec.UnsetType = msgspec.UNSET
    publicity_days: int | msgspec.UnsetType = msgspec.UNSET


# -- sign-in and registration -------------------------------------------------------------


class Token(Message, frozen=True):
    """A host's or a bidder's login: the bearer token and when it expires."""

    token: Annotated[str, Meta(min_length=1)]
    expires_at: Instant


class LoggedOut(Message, frozen=True):
    logged_out: Literal[True]


class Organisation(Message, frozen=True):
    id: str
    name: Annotated[str, Meta(description="Empty for tenders made before organisations.")]


class HostMe(Message, frozen=True):
    role: Literal["host"]
    username: str
    organisation: Organisation


class Registered(Message, frozen=True):
    """`POST /api/bidders`: the new bidder's id and the id of its signing key."""

    bidder_id: Id
    key_id: str


class Challenge(Message, frozen=True):
    """What a bidder signs to log in (protocol.md 2)."""

    challenge: B64u
    audience: Annotated[str, Meta(description="The origin signed into; the client checks it.")]
    expires_at: Instant


class BidderMe(Message, frozen=True):
    bidder_id: Id
    org_name: str
    contact: str
    key_id: str


# -- tenders ------------------------------------------------------------------------------


class TenderLot(Message, frozen=True):
    id: Id
    name: str
    ceiling: Annotated[
        str | None, Meta(description="最高投标限价, yuan with two decimals; null: none.")
    ] = None


class TenderReadoutItem(Message, frozen=True):
    key: str
    label_zh: str
    label_en: str
    # Tenders created before items were typed have neither: their items are text.
    type: ItemType = ItemType.TEXT
    max_length: Annotated[int, Meta(ge=1)] = 200


class TenderParties(Message, frozen=True):
    tenderer: Annotated[str, Meta(description="招标人; empty if not stated.")] = ""
    agency: Annotated[str, Meta(description="招标代理机构; empty if not stated.")] = ""
    tendered_by_law: Annotated[bool, Meta(description="依法必须招标.")] = False


class Tender(Message, frozen=True):
    """The public description of a tender: never who has bid, nor how many."""

    id: Id
    code: Annotated[str, Meta(description="`ZB-<year>-<6 digits>`; the same as `id`.")]
    title: str
    lots: list[TenderLot]
    deadline: Annotated[Instant, Meta(description="The deadline in force (= opening time).")]
    signin_opens_at: Instant
    decryption_seconds: Annotated[int, Meta(ge=1)]
    confirmation_seconds: Annotated[int, Meta(ge=1)]
    readout_items: list[TenderReadoutItem]
    parties: TenderParties
    phase: Phase
    publicity_ends_at: Annotated[
        Instant | None,
        Meta(
            description="When the latest publicity period of the lots' published results "
            "ends (公示中 before it, 公示结束 after); null before any result."
        ),
    ]
    organisation: Organisation
    created_at: Instant


class TenderList(Message, frozen=True):
    tenders: Annotated[list[Tender], Meta(description="Newest first.")]


class Postponements(Message, frozen=True):
    notices: Annotated[
        list[SignedDocument], Meta(description="Signed `postponement` notices, oldest first.")
    ]


class DeadlineStatement(Message, frozen=True):
    statement: Annotated[SignedDocument, Meta(description="A signed `deadline` statement.")]


# -- bids ---------------------------------------------------------------------------------


class BidReceipt(Message, frozen=True):
    """`PUT …/bid`: the signed receipt of the bid just stored."""

    receipt: SignedDocument


class BidWithdrawal(Message, frozen=True):
    withdrawal: SignedDocument


class CurrentBid(Message, frozen=True):
    """The caller's current bid in a lot, with its receipt."""

    bid_sha256: Sha256
    receipt: SignedDocument | None


class MyBid(Message, frozen=True):
    lot: Id
    bid_sha256: Sha256
    size: Annotated[int, Meta(ge=1)]
    received_at: Instant
    receipt_id: str
    status: Annotated[
        Literal["current", "replaced", "withdrawn"],
        Meta(description="A bid stays current until replaced or withdrawn."),
    ]
    ended_at: Annotated[Instant | None, Meta(description="null while current.")]


class MyBids(Message, frozen=True):
    bids: Annotated[list[MyBid], Meta(description="The caller's own bids only.")]


class DataKeyAccepted(Message, frozen=True):
    """The data key opened the bid; what it holds stays private until the read-out."""

    lot: Id
    bid_sha256: Sha256
    seq: Annotated[int, Meta(ge=1, description="The `bid_decrypted` event.")]


class Rehearsal(Message, frozen=True):
    rehearsal_id: str
    envelope: Annotated[B64u, Meta(description="A random key wrapped to the bidder's key.")]
    expires_at: Instant


class RehearsalPassed(Message, frozen=True):
    passed: Literal[True]


# -- the opening session ------------------------------------------------------------------


class CommandApplied(Message, frozen=True):
    """A host's or a bidder's command: the events it logged, as the caller receives them."""

    events: list[EventMessage]
    seq: Annotated[int | None, Meta(description="The last event's seq; null: none logged.")]


class SignedIn(Message, frozen=True):
    signed_in: Literal[True]
    logged: Annotated[bool, Meta(description="false: signed in before, nothing logged.")]


class SessionSnapshot(Message, frozen=True):
    """`GET /api/sessions/{id}`: the caller's view at a log position (protocol.md 5.5)."""

    seq: Annotated[int, Meta(ge=0, description="The log position the view reflects.")]
    role: Literal["public", "bidder", "host"]
    view: Annotated[
        dict[str, Any],
        Meta(description="The role's view at its stage (protocol.md 5.5, bidopen.wire.views)."),
    ]
    scheduler_fault: (
        Annotated[
            str | None,
            Meta(description="Hosts only: what the scheduler could not do; null: all is well."),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class EventsPage(Message, frozen=True):
    """`GET …/events`: the log after `after`, as the caller's role may see it."""

    events: list[EventMessage]
    more: Annotated[bool, Meta(description="More events follow `last_seq`.")]
    last_seq: Annotated[int, Meta(ge=0, description="Ask again with `after` = this.")]


class LoggedEvent(Message, frozen=True):
    """One session event as stored, with its leaf in the public log (protocol.md 5.4)."""

    seq: Annotated[int, Meta(ge=1)]
    kind: EventKind
    at: str
    payload: dict[str, Any]
    leaf: Annotated[
        Annotated[int, Meta(ge=0)] | None, Meta(description="Its entry's index in the public log.")
    ]


class SessionLog(Message, frozen=True):
    events: list[LoggedEvent]


# -- opened bid documents -----------------------------------------------------------------


class OpenedDocument(Message, frozen=True):
    lot: Id
    bidder: Id
    bidder_name: str
    bid_sha256: Sha256
    size: Annotated[int, Meta(ge=0, description="Of the plaintext document.")]
    sha256: Annotated[Sha256, Meta(description="Of the plaintext document.")]
    name: Annotated[str, Meta(description="As the bidder's client named it, or empty.")]
    opened_at: Instant


class DocumentListing(Message, frozen=True):
    documents: Annotated[list[OpenedDocument], Meta(description="Lot, then bidder order.")]


class DocumentRead(Message, frozen=True):
    lot: Id
    bidder: Id
    bid_sha256: Sha256
    reader_role: Literal["host", "bidder"]
    reader: str
    read_at: Instant


class DocumentReads(Message, frozen=True):
    reads: Annotated[list[DocumentRead], Meta(description="Oldest first.")]


# -- the public log -----------------------------------------------------------------------

B64 = Annotated[str, Meta(pattern=r"^[A-Za-z0-9+/]*={0,2}$", description="Standard base64.")]


class BundleLog(Message, frozen=True):
    origin: str
    vkey: str
    checkpoint: Annotated[str, Meta(description="The signed checkpoint (C2SP signed note).")]


class BundleEntry(Message, frozen=True):
    index: Annotated[int, Meta(ge=0)]
    entry: B64
    proof: Annotated[list[B64], Meta(description="Inclusion proof under the checkpoint.")]


class Consistency(Message, frozen=True):
    old_size: Annotated[int, Meta(ge=1)]
    proof: list[B64]


class BidderKey(Message, frozen=True):
    signing_key: Annotated[str, Meta(description="As registered (the public key bundle's).")]
    key_id: str


class Bundle(Message, frozen=True):
    """`GET …/bundle`: what `bidopen verify` checks offline (protocol.md 5.7)."""

    format: Literal["bidopen-bundle/1"]
    session: Id
    log: BundleLog
    server_key: ServerKey
    bidder_keys: Annotated[
        dict[str, BidderKey],
        Meta(description="bidder id → the key it signs in, confirms and objects with."),
    ]
    records: Annotated[list[str], Meta(description="Signed records, the JSON texts issued.")]
    results: Annotated[list[str], Meta(description="Signed results, the JSON texts issued.")]
    entries: list[BundleEntry]
    payloads: Annotated[
        dict[str, dict[str, Any]], Meta(description="seq → payloads too large for an entry.")
    ]
    consistency: Annotated[Consistency | None, Meta(description="With `?old=SIZE` only.")]


class HallCheckpoint(Message, frozen=True):
    """`GET /api/log/checkpoint`: the newest checkpoint for the big screen, with a QR code."""

    checkpoint: Annotated[str, Meta(description="The note as `/log/checkpoint` serves it.")]
    qr_text: Annotated[
        str, Meta(description="What the QR code holds: the note with the log's signature only.")
    ]
    qr_svg: Annotated[str, Meta(description="The QR code as an SVG document.")]


# -- operations ---------------------------------------------------------------------------


class Alive(Message, frozen=True):
    status: Literal["alive"]


class ReadinessCheck(Message, frozen=True):
    ok: bool
    detail: str


class ReadinessReport(Message, frozen=True):
    """`GET /readyz`: 200 when every check passed, else 503 with the same body."""

    ready: bool
    checks: dict[str, ReadinessCheck]


# -- live video ---------------------------------------------------------------------------

# `bidopen.video.state.VideoState` (a test holds the two equal; the video package imports
# the hub's HTTP layer, which imports these declarations).
VideoStateName = Annotated[
    Literal["idle", "live", "interrupted"],
    Meta(description="idle: nothing published; live: frames flow; interrupted: publisher lost."),
]


class VideoAnswer(Message, frozen=True):
    """The relay's SDP answer to an offer."""

    type: Literal["answer"]
    sdp: str
    publisher: (
        Annotated[str, Meta(description="To publish: names this publisher for `DELETE`.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class VideoStatus(Message, frozen=True):
    state: VideoStateName
    viewers: Annotated[int, Meta(ge=0)]


class PublisherStatus(Message, frozen=True):
    state: VideoStateName
    viewers: Annotated[int, Meta(ge=0)]
    publisher: Annotated[str | None, Meta(description="The current publisher; null: none.")]


class OpenApiDocument(Message, frozen=True):
    """`GET /api/openapi.json`: this description, OpenAPI 3.1."""

    openapi: Literal["3.1.0"]
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]
