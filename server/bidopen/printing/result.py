"""The result notice (中标候选人公示) as a PDF: one section per part of the signed result.

Each part of the result document is one function of `SECTIONS`; a new part of the
document (another list, another reason) is one more function there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from .fonts import CjkFont
from .sheet import Sheet, amount_lines, beijing, parse_instant, text_or_dash
from .signed import SignedDocument

Payload = Mapping[str, Any]


def _name(p: Payload, bidder: object) -> str:
    names = p.get("bidder_names") or {}
    return f"{names.get(bidder, '')}\n{bidder}".strip()


def _candidates(p: Payload) -> list[Mapping[str, Any]]:
    """Format 3's candidates; a format 1/2 result's first three ranked, as the hub replays it."""
    if "candidates" in p:
        return list(p.get("candidates") or [])
    ranked = list(p.get("ranked") or [])[:3]
    return [{"rank": n, "bidder": b, "price": None, "score": None} for n, b in enumerate(ranked, 1)]


def _others(p: Payload) -> list[tuple[object, Mapping[str, Any]]]:
    """Every other bid with its reason (format 1/2: every reason, not ranked)."""
    named = {c.get("bidder") for c in _candidates(p)}
    reasons = p.get("reasons") or {}
    return [(b, r) for b, r in reasons.items() if b not in named and isinstance(r, Mapping)]


def _facts(sheet: Sheet, p: Payload) -> None:
    tender = p.get("tender", {})
    published = parse_instant(p.get("published_at"))
    days = int(p.get("publicity_days") or 0)
    ends = p.get("publicity_ends_at")
    if ends is None and published is not None:
        ends = (published + timedelta(days=days)).isoformat()
    failed = p.get("outcome") == "failed"
    sheet.facts(
        [
            ("项目名称 Tender", text_or_dash(tender.get("title"))),
            ("项目编号 Tender code", text_or_dash(tender.get("code"))),
            ("标段 Lot", text_or_dash(p.get("lot"))),
            ("结果 Outcome", "流标 Failed tender" if failed else "中标候选人 Candidates"),
            ("发布时间 Published", beijing(p.get("published_at"))),
            ("公示期 Publicity", f"{days} 日 days"),
            ("公示截止 Publicity ends", beijing(ends)),
        ]
    )


def _ranking(sheet: Sheet, p: Payload) -> None:
    if p.get("outcome") == "failed":
        sheet.heading("流标", "Failed tender (to be tendered again)")
        sheet.grid(["原因 Reason"], [[text_or_dash(p.get("failure"))]], (160,))
        return
    sheet.heading("中标候选人及排名", "Candidates and ranking")
    rows = [
        [
            f"第{c.get('rank')}中标候选人\nCandidate {c.get('rank')}",
            _name(p, c.get("bidder")),
            amount_lines(str(c["price"])) if c.get("price") else "—",
            text_or_dash(c.get("score")),
        ]
        for c in _candidates(p)
    ]
    sheet.grid(
        ["排名 Rank", "投标人 Bidder", "投标报价 Price", "得分 Score"], rows, (32, 56, 52, 20)
    )


_DISPOSITIONS = {"rejected": "否决投标 Rejected", "not_ranked": "未入围 Not ranked"}


def _unranked(sheet: Sheet, p: Payload) -> None:
    rows = [
        [_name(p, b), _DISPOSITIONS.get(str(r.get("disposition", "not_ranked")), "—"), _reason(r)]
        for b, r in _others(p)
    ]
    if rows:
        sheet.heading("其他投标人及理由", "Other bidders, and why")
        sheet.grid(["投标人 Bidder", "处理 Disposition", "理由 Reason"], rows, (56, 36, 68))


def _reason(reason: Mapping[str, Any]) -> str:
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
