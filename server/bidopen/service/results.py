"""The evaluation result of one lot: parsed from the host's request, signed as a document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bidopen.clock import iso
from bidopen.errors import from_session_error
from bidopen.session import Leaves
from bidopen.session.errors import SessionError
from bidopen.session.state import OpeningSession
from bidopen.session.values import Reason
from bidopen.wire.bodies import PublishResult

# Format 2 adds `bidder_names`, 3 `leaves`; documents issued earlier keep their text and
# signature.
RESULT_FORMAT = "bidopen-evaluation-result/3"


@dataclass(frozen=True)
class ResultDraft:
    lot: str
    ranked: tuple[str, ...]
    winner: str
    reasons: Mapping[str, Reason]
    publicity_days: int


def parse_result(body: PublishResult) -> ResultDraft:
    """A publish-result body, already of its declared shape, as the session core's values."""
    try:
        return ResultDraft(
            lot=body.lot,
            ranked=tuple(body.ranked),
            winner=body.winner,
            reasons={
                bidder: Reason(clause=r.clause.strip(), text=r.text)
                for bidder, r in body.reasons.items()
            },
            publicity_days=body.publicity_days,
        )
    except SessionError as exc:
        raise from_session_error(exc) from exc


def _named(state: OpeningSession, draft: ResultDraft) -> dict[str, str]:
    """Organisation names of every bidder the result mentions (public since the read-out)."""
    # Not yet validated here (the core refuses bad ids right after), so only text is looked up.
    mentioned = [b for b in (*draft.ranked, draft.winner, *draft.reasons) if isinstance(b, str)]
    return {bidder: state.name_of(bidder) for bidder in dict.fromkeys(mentioned)}


def result_payload(
    state: OpeningSession, draft: ResultDraft, now: datetime, leaves: Leaves
) -> dict[str, Any]:
    """What the signed evaluation result says, readable on its own; no expert names, no scores.

    `leaves` names the public log's leaves of the events it follows from and of the bids."""
    return {
        "format": RESULT_FORMAT,
        "tender": {"id": state.tender_id, "code": state.code, "title": state.title},
        "lot": draft.lot,
        "ranked": list(draft.ranked),
        "winner": draft.winner,
        "bidder_names": _named(state, draft),
        "reasons": {b: {"clause": r.clause, "text": r.text} for b, r in draft.reasons.items()},
        "publicity_days": draft.publicity_days,
        "published_at": iso(now),
        "leaves": leaves.encode(),
    }
