"""The evaluation result of one lot: parsed from the host's request, signed as a document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bidopen.clock import iso
from bidopen.errors import from_session_error
from bidopen.session import Leaves
from bidopen.session.codec import encode
from bidopen.session.errors import SessionError
from bidopen.session.publicity import ANSWER_DAYS, publicity_period
from bidopen.session.state import OpeningSession
from bidopen.session.values import Candidate, Reason, ResultOutcome
from bidopen.wire.bodies import PublishResult

# Format 2 adds `bidder_names`; 3 names candidates ranked first to third (or 流标), gives
# every other bid its disposition and names its leaves. Documents issued as format 1 or 2
# keep their text and signature.
RESULT_FORMAT = "bidopen-evaluation-result/3"

_Member = TypeVar("_Member", Candidate, Reason)


@dataclass(frozen=True)
class ResultDraft:
    lot: str
    outcome: ResultOutcome
    candidates: tuple[Candidate, ...]
    reasons: Mapping[str, Reason]
    failure: str
    publicity_days: int


def parse_result(body: PublishResult) -> ResultDraft:
    """A publish-result body, already of its declared shape, as the session core's values."""
    candidates = tuple(
        _member(f"candidates[{i}]", Candidate, bidder=c.bidder, price=c.price, score=c.score)
        for i, c in enumerate(body.candidates)
    )
    reasons = {
        bidder: _member(
            f"reasons[{bidder}]",
            Reason,
            disposition=r.disposition,
            clause=r.clause.strip(),
            text=r.text,
        )
        for bidder, r in body.reasons.items()
    }
    return ResultDraft(
        lot=body.lot,
        outcome=body.outcome,
        candidates=candidates,
        reasons=reasons,
        failure=body.failure.strip(),
        publicity_days=body.publicity_days,
    )


def _member(where: str, cls: type[_Member], **fields: Any) -> _Member:
    """One candidate or reason; a refusal names the member of the body (`reasons[B1].clause`)."""
    try:
        return cls(**fields)
    except SessionError as exc:
        error = from_session_error(exc)
        error.field = f"{where}.{(error.field or '').rpartition('.')[2]}".rstrip(".")
        raise error from exc


def _named(state: OpeningSession, draft: ResultDraft) -> dict[str, str]:
    """Organisation names of every bidder the result mentions (public since the read-out)."""
    mentioned = [c.bidder for c in draft.candidates] + list(draft.reasons)
    return {bidder: state.name_of(bidder) for bidder in dict.fromkeys(mentioned)}


def result_payload(
    state: OpeningSession, draft: ResultDraft, now: datetime, leaves: Leaves
) -> dict[str, Any]:
    """What the signed evaluation result says, readable on its own; no expert names.

    `leaves` names the public log's leaves of the events it follows from and of the bids."""
    return {
        "format": RESULT_FORMAT,
        "tender": {"id": state.tender_id, "code": state.code, "title": state.title},
        "lot": draft.lot,
        "outcome": draft.outcome.value,
        "candidates": [
            {"rank": rank, **_encoded(candidate)}
            for rank, candidate in enumerate(draft.candidates, start=1)
        ],
        "reasons": {bidder: _encoded(reason) for bidder, reason in draft.reasons.items()},
        "failure": draft.failure,
        "bidder_names": _named(state, draft),
        "publicity_days": draft.publicity_days,
        "publicity_ends_at": iso(now + publicity_period(state, draft.publicity_days)),
        "demo_publicity_seconds": state.demo_publicity_seconds,
        "objection_answer_days": ANSWER_DAYS,
        "published_at": iso(now),
        "leaves": leaves.encode(),
    }


def _encoded(value: object) -> dict[str, Any]:
    encoded = encode(value)
    assert isinstance(encoded, dict)
    return encoded
