"""The result notice (中标候选人公示) as a PDF: one section per part of the signed result.

Each part of the result document is one function of `SECTIONS`; a new part of the
document (another list, another reason) is one more function there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from .fonts import CjkFont
from .sheet import Sheet, beijing, parse_instant, text_or_dash
from .signed import SignedDocument

Payload = Mapping[str, Any]


def _name(p: Payload, bidder: object) -> str:
    names = p.get("bidder_names") or {}
    return f"{names.get(bidder, '')}\n{bidder}".strip()


def _facts(sheet: Sheet, p: Payload) -> None:
    tender = p.get("tender", {})
    published = parse_instant(p.get("published_at"))
    days = int(p.get("publicity_days") or 0)
    ends = (published + timedelta(days=days)).isoformat() if published else None
    sheet.facts(
        [
            ("项目名称 Tender", text_or_dash(tender.get("title"))),
            ("项目编号 Tender code", text_or_dash(tender.get("code"))),
            ("标段 Lot", text_or_dash(p.get("lot"))),
            ("发布时间 Published", beijing(p.get("published_at"))),
            ("公示期 Publicity", f"{days} 日 days"),
            ("公示截止 Publicity ends", beijing(ends)),
        ]
    )


def _ranking(sheet: Sheet, p: Payload) -> None:
    sheet.heading("中标候选人及排名", "Candidates and ranking")
    reasons = p.get("reasons") or {}
    winner = p.get("winner")
    ranked = list(p.get("ranked") or [])
    rows = [
        [
            str(n),
            _name(p, bidder),
            "第一中标候选人 First candidate" if bidder == winner else _reason(reasons.get(bidder)),
        ]
        for n, bidder in enumerate(ranked, start=1)
    ]
    sheet.grid(["排名 Rank", "投标人 Bidder", "说明 Note"], rows, (16, 60, 84))


def _unranked(sheet: Sheet, p: Payload) -> None:
    ranked = set(p.get("ranked") or [])
    reasons = p.get("reasons") or {}
    rows = [[_name(p, b), _reason(r)] for b, r in reasons.items() if b not in ranked]
    if rows:
        sheet.heading("未排名的投标人及理由", "Bidders not ranked, and why")
        sheet.grid(["投标人 Bidder", "理由 Reason"], rows, (60, 100))


def _reason(reason: object) -> str:
    if not isinstance(reason, Mapping):
        return "—"
    return f"{reason.get('clause', '')} {reason.get('text', '')}".strip() or "—"


SECTIONS: tuple[Callable[[Sheet, Payload], None], ...] = (_facts, _ranking, _unranked)


def render_result(result: SignedDocument, font: CjkFont) -> bytes:
    p = result.payload
    created = parse_instant(p.get("published_at"))
    assert created is not None, "a result always states when it was published"
    sheet = Sheet(font, "中标候选人公示", "Publicity of the candidates", created)
    for section in SECTIONS:
        section(sheet, p)
    name = f"result-{p.get('tender', {}).get('id')}-{p.get('lot')}.json"
    sheet.evidence(result.evidence(result.as_attachment(name, "signed evaluation result")))
    return sheet.finish()
