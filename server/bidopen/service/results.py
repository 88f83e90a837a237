"""The evaluation result of one lot: parsed from the host's request, signed as a document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bidopen.clock import iso
from bidopen.errors import HubError
from bidopen.session.errors import SessionError
from bidopen.session.state import OpeningSession
from bidopen.session.values import Reason

# Format 2 adds `bidder_names`; documents issued as format 1 keep their text and signature.
RESULT_FORMAT = "bidopen-evaluation-result/2"


@dataclass(frozen=True)
class ResultDraft:
    lot: str
    ranked: tuple[str, ...]
    winner: str
    reasons: Mapping[str, Reason]
    publicity_days: int


def parse_result(body: dict[str, Any]) -> ResultDraft:
    try:
        ranked = body.get("ranked")
        reasons = body.get("reasons", {})
        if not isinstance(ranked, list) or not isinstance(reasons, dict):
            raise HubError("validation_failed", "ranked must be a list, reasons an object.")
        return ResultDraft(
            lot=body.get("lot"),  # type: ignore[arg-type]
            ranked=tuple(ranked),
            winner=body.get("winner"),  # type: ignore[arg-type]
            reasons={
                bidder: Reason(clause=r.get("clause"), text=r.get("text"))
                for bidder, r in reasons.items()
            },
            publicity_days=body.get("publicity_days", 3),
        )
    except (SessionError, AttributeError) as exc:
        raise HubError("validation_failed", f"result: {exc}") from exc


def _named(state: OpeningSession, draft: ResultDraft) -> dict[str, str]:
    """Organisation names of every bidder the result mentions (public since the read-out)."""
    # Not yet validated here (the core refuses bad ids right after), so only text is looked up.
    mentioned = [b for b in (*draft.ranked, draft.winner, *draft.reasons) if isinstance(b, str)]
    return {bidder: state.name_of(bidder) for bidder in dict.fromkeys(mentioned)}


def result_payload(state: OpeningSession, draft: ResultDraft, now: datetime) -> dict[str, Any]:
    """What the signed evaluation result says, readable on its own; no expert names, no scores."""
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
    }
