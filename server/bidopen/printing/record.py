"""The opening record (开标记录表) as a PDF: every bid, the read-out, and what was decided."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .evidence import Attachment
from .fonts import CjkFont
from .sheet import Sheet, amount_lines, beijing, parse_instant, text_or_dash
from .signed import SignedDocument

STATUS = {
    "opened": "已解密 Opened",
    # 电子招标投标办法 art. 31: the bidder's own cause, or a cause outside it.
    "revoked": "视为撤销 Deemed revoked",
    "withdrawn": "视为撤回 Deemed withdrawn",
}
CAUSE = {
    "decrypted": "解密成功 Decrypted",
    "platform_fault": "平台原因 Platform fault",
    "key_rejected": "密钥错误 Wrong key",
    "not_decrypted": "未在时限内解密 Not decrypted in time",
    "not_signed_in": "未签到 Not signed in",
    "value_not_of_type": "开标值不符合其类型 A value is not of its type",
}
TIMES = (
    ("deadline", "投标截止/开标时间 Deadline and opening"),
    ("decryption_started_at", "开始解密 Decryption started"),
    ("decryption_closed_at", "解密结束 Decryption closed"),
    ("read_out_at", "唱标 Read-out"),
    ("confirmation_closed_at", "确认结束 Confirmation closed"),
)


def _yes_no(value: object) -> str:
    return "是 Yes" if value else "否 No"


def _status(entry: Mapping[str, Any]) -> str:
    status = entry.get("status")
    if status is None:
        return "—"
    cause = CAUSE.get(str(entry.get("cause")), text_or_dash(entry.get("cause")))
    if entry.get("cause_item") or entry.get("item"):
        cause += f" ({entry.get('cause_item') or entry.get('item')})"
    return f"{STATUS.get(str(status), str(status))}\n{cause}"


def _bidder(entry: Mapping[str, Any]) -> str:
    return f"{entry.get('bidder_name') or ''}\n{entry.get('bidder')}".strip()


def _tender(sheet: Sheet, p: Mapping[str, Any]) -> None:
    tender = p.get("tender", {})
    times = p.get("times", {})
    sheet.facts(
        [
            ("项目名称 Tender", text_or_dash(tender.get("title"))),
            ("项目编号 Tender code", text_or_dash(tender.get("code"))),
            ("招标人 Tenderer", text_or_dash(tender.get("tenderer"))),
            ("招标代理机构 Agency", text_or_dash(tender.get("agency"))),
            ("组织机构 Organisation", text_or_dash(tender.get("organisation"))),
            ("依法必须招标 Tendered by law", _yes_no(tender.get("tendered_by_law"))),
            *((label, beijing(times.get(key))) for key, label in TIMES),
        ]
    )


def _lots(sheet: Sheet, p: Mapping[str, Any]) -> None:
    sheet.heading("标段", "Lots")
    rows = [
        [
            str(lot.get("id")),
            text_or_dash(lot.get("name")),
            str(lot.get("bid_count")),
            amount_lines(lot["ceiling"]) if lot.get("ceiling") else "—",
            "终止（重新招标）Stopped" if lot.get("stopped") else "—",
        ]
        for lot in p.get("lots", [])
    ]
    headings = ["标段 Lot", "名称 Name", "投标数 Bids", "最高投标限价 Ceiling", "终止 Stopped"]
    sheet.grid(headings, rows, (12, 38, 14, 44, 22))


def _bids(sheet: Sheet, p: Mapping[str, Any]) -> None:
    sheet.heading("投标文件", "Bids (in the order received)")
    bids = p.get("bids", [])
    rows = [
        [
            str(bid.get("receipt_no")),
            str(bid.get("lot")),
            _bidder(bid),
            _short(bid.get("signed_in_at")),
            _status(bid),
            str(bid.get("failed_attempts", 0)),
        ]
        for bid in bids
    ]
    headings = [
        "序号 No.",
        "标段 Lot",
        "投标人 Bidder",
        "签到 Signed in",
        "解密 Outcome",
        "失败 Failed",
    ]
    sheet.grid(headings, rows, (10, 10, 44, 24, 42, 10))
    sheet.note("签到时间为北京时间 (UTC+8)。Sign-in times are Beijing time (UTC+8).")
    sheet.heading("投标文件哈希", "Bid hashes (SHA-256)")
    sheet.grid(
        ["序号 No.", "投标人 Bidder", "SHA-256"],
        [[str(b.get("receipt_no")), _bidder(b), str(b.get("bid_sha256"))] for b in bids],
        (10, 40, 110),
        size=7.5,
    )


def _readout(sheet: Sheet, p: Mapping[str, Any]) -> None:
    items = p.get("readout_items", [])
    lots = {lot.get("id"): lot for lot in p.get("lots", [])}
    for lot_readout in p.get("readout", []):
        lot = lots.get(lot_readout.get("lot"), {})
        sheet.heading(f"唱标 标段 {lot_readout.get('lot')}", f"Read-out, lot {lot.get('name', '')}")
        rows = []
        for n, line in enumerate(lot_readout.get("lines", []), start=1):
            values = line.get("items") or {}
            above = set(line.get("above_ceiling") or ())
            cells = []
            for item in items:
                value = values.get(item["key"])
                if value is None:
                    cells.append("—")
                    continue
                shown = amount_lines(value) if item.get("type") == "amount" else str(value)
                if item["key"] in above:
                    shown += "\n⚠ 超过最高投标限价 Above the ceiling"
                cells.append(shown)
            rows.append([str(n), _bidder(line), *cells, _status(line)])
        headings = [
            "序号 No.",
            "投标人 Bidder",
            *(f"{i.get('label_zh')}\n{i.get('label_en')}" for i in items),
            "状态 Status",
        ]
        item_width = max(20.0, 96.0 / max(len(items), 1))
        sheet.grid(headings, rows, (10, 40, *(item_width for _ in items), 34))


def _decisions(sheet: Sheet, p: Mapping[str, Any]) -> None:
    if p.get("quorum_warnings") or p.get("quorum_decisions"):
        sheet.heading("投标人不足三家的决定", "Quorum decisions (fewer than three bids)")
        sheet.grid(
            ["标段 Lot", "决定 Choice", "理由 Reason", "时间 At"],
            [
                [
                    str(d.get("lot")),
                    {"continue": "继续开标 Continue", "stop": "终止 Stop"}.get(
                        str(d.get("choice")), str(d.get("choice"))
                    )
                    + (" (自动 automatic)" if d.get("automatic") else ""),
                    text_or_dash(d.get("reason")),
                    beijing(d.get("at")),
                ]
                for d in p.get("quorum_decisions", [])
            ],
            (14, 34, 70, 42),
        )
    for key, zh, en, describe in _SPANS:
        entries = p.get(key) or []
        if entries:
            sheet.heading(zh, en)
            sheet.grid(
                ["时间 At", "内容 What", "理由 Reason"],
                [[*describe(e), text_or_dash(e.get("reason"))] for e in entries],
                (44, 56, 60),
            )


def _short(text: object) -> str:
    return beijing(text).replace(" 北京时间 Beijing (UTC+8)", "")


_SPANS: tuple[tuple[str, str, str, Callable[[Mapping[str, Any]], tuple[str, str]]], ...] = (
    (
        "reschedulings",
        "改期",
        "Rescheduled deadlines",
        lambda e: (
            beijing(e.get("at")),
            f"{_short(e.get('previous_deadline'))} → {_short(e.get('deadline'))}",
        ),
    ),
    (
        "extensions",
        "延长解密时间",
        "Decryption extensions",
        lambda e: (beijing(e.get("at")), f"+{e.get('seconds')} s → {_short(e.get('ends_at'))}"),
    ),
    (
        "pauses",
        "暂停",
        "Pauses",
        lambda e: (beijing(e.get("started_at")), f"至 until {_short(e.get('ended_at'))}"),
    ),
    (
        "platform_faults",
        "平台故障",
        "Platform faults",
        lambda e: (beijing(e.get("at")), str(e.get("bidder") or "全体 everyone")),
    ),
)


def _objections(sheet: Sheet, p: Mapping[str, Any]) -> None:
    sheet.heading("异议与答复", "Objections and answers")
    sheet.grid(
        ["编号 No.", "投标人 Bidder", "异议 Objection", "答复 Answer"],
        [
            [
                str(o.get("id")),
                _bidder(o) + (f"\n标段 Lot {o['lot']}" if o.get("lot") else ""),
                f"{o.get('text')}\n{beijing(o.get('raised_at'))}",
                f"{text_or_dash(o.get('answer'))}\n{beijing(o.get('answered_at'))}",
            ]
            for o in p.get("objections", [])
        ],
        (12, 36, 56, 56),
    )


def _confirmations(sheet: Sheet, p: Mapping[str, Any]) -> None:
    sheet.heading("开标记录确认", "Confirmations of the record")
    names = {b.get("bidder"): b.get("bidder_name", "") for b in p.get("bids", [])}
    rows = [
        [
            f"{names.get(c.get('bidder'), '')}\n{c.get('bidder')}",
            "确认 Confirmed",
            _short(c.get("at")),
        ]
        for c in p.get("confirmed", [])
    ]
    rows += [
        [f"{names.get(b, '')}\n{b}", "视为认可（未在确认期内表态）Deemed to accept", "—"]
        for b in p.get("deemed_accepted", [])
    ]
    sheet.grid(["投标人 Bidder", "态度 Stance", "时间（北京时间）At (UTC+8)"], rows, (60, 56, 44))
    if p.get("confirmation_closed_early"):
        sheet.note(
            "全部投标人表态后，确认期提前结束。"
            "Confirmation closed early: every bidder had answered."
        )
    if p.get("aborted"):
        aborted = p["aborted"]
        sheet.heading("开标中止", "Aborted")
        sheet.note(f"{text_or_dash(aborted.get('reason'))}  {beijing(aborted.get('at'))}")


def render_record(record: SignedDocument, embedded: Attachment, font: CjkFont) -> bytes:
    """The record; `embedded` is the session bundle when the log has one, else the record."""
    p = record.payload
    times = p.get("times", {})
    created = parse_instant(times.get("confirmation_closed_at")) or parse_instant(
        times.get("scheduled_at")
    )
    assert created is not None, "a record always has a scheduled time"
    sheet = Sheet(font, "开标记录表", "Opening record", created)
    _tender(sheet, p)
    _lots(sheet, p)
    _bids(sheet, p)
    _readout(sheet, p)
    _decisions(sheet, p)
    _objections(sheet, p)
    _confirmations(sheet, p)
    sheet.evidence(record.evidence(embedded))
    return sheet.finish()
