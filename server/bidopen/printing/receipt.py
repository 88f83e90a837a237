"""The bid receipt (递交回执) as a PDF: what the hub signed when the bid's last byte arrived."""

from __future__ import annotations

from .fonts import CjkFont
from .sheet import Sheet, beijing, parse_instant, text_or_dash
from .signed import SignedDocument


def render_receipt(receipt: SignedDocument, bidder_name: str, font: CjkFont) -> bytes:
    """The receipt of one bid; `bidder_name` is the registered organisation (not signed in it)."""
    p = receipt.payload
    created = parse_instant(p.get("received_at"))
    assert created is not None, "a receipt always states when the bid was received"
    sheet = Sheet(font, "投标文件递交回执", "Bid receipt", created)
    sheet.facts(
        [
            ("项目编号 Tender code", text_or_dash(p.get("tender_code"))),
            ("项目名称 Tender", text_or_dash(p.get("tender_title"))),
            ("标段 Lot", f"{p.get('lot')} {text_or_dash(p.get('lot_name'))}"),
            ("投标人 Bidder", f"{bidder_name} ({p.get('bidder')})"),
            ("递交时间 Received", beijing(p.get("received_at"), millis=True)),
            ("投标截止 Deadline", beijing(p.get("deadline"))),
            ("投标文件 SHA-256\nBid hash", text_or_dash(p.get("bid_sha256"))),
            ("文件大小 Size", f"{p.get('size')} 字节 bytes"),
            ("回执编号 Receipt id", text_or_dash(p.get("receipt_id"))),
        ]
    )
    sheet.note(
        "平台已于上述时间完整接收并持久保存该加密投标文件。投标人名称取自注册信息，不在签名内容中。\n"
        "The platform received and durably stored this sealed bid at the time above. The "
        "bidder's name comes from its registration and is not part of the signed content."
    )
    name = f"receipt-{p.get('tender')}-{p.get('lot')}-{p.get('receipt_id')}.json"
    sheet.evidence(receipt.evidence(receipt.as_attachment(name, "signed bid receipt")))
    return sheet.finish()
