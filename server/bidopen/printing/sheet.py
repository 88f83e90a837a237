"""The A4 page every printed document shares: bilingual headings, tables, and the evidence block.

`Sheet` declares PDF/A-3b (fpdf2 writes the XMP `pdfaid` entries and the sRGB output
intent), embeds the fonts as subsets, and attaches the signed JSON as an associated file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import segno
from fpdf import FPDF
from fpdf.enums import AssociatedFileRelationship, TableBordersLayout
from fpdf.fonts import FontFace as TableStyle

from bidseal.readout import amount_in_capitals, format_amount

from .evidence import Evidence
from .fonts import CjkFont

BEIJING = timezone(timedelta(hours=8), "北京时间")
_FONT = "cjk"
_MARGIN = 16.0
_QR_SIZE = 34.0
_GREY = (90, 90, 90)
_HEADING_FILL = (232, 236, 242)


def instant(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def parse_instant(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    return instant(datetime.fromisoformat(text))


def beijing(text: object, *, millis: bool = False) -> str:
    """An ISO instant of a document in Beijing time with its zone: `2026-12-08 07:07:34 (UTC+8)`."""
    at = parse_instant(text)
    if at is None:
        return "—"
    local = at.astimezone(BEIJING)
    shown = local.strftime("%Y-%m-%d %H:%M:%S")
    if millis:
        shown += f".{local.microsecond // 1000:03d}"
    return f"{shown} 北京时间 Beijing (UTC+8)"


def amount_lines(amount: str) -> str:
    """An amount with separators, then its 大写 on the next line."""
    return f"{format_amount(amount)}\n{amount_in_capitals(amount)}"


def text_or_dash(value: object) -> str:
    return str(value) if value not in (None, "") else "—"


class Sheet(FPDF):
    """One printed document: call the section methods, then `finish` for the bytes."""

    def __init__(self, font: CjkFont, title_zh: str, title_en: str, created: datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4", enforce_compliance="PDFA_3B")
        self._title = f"{title_zh} {title_en}"
        self.add_font(_FONT, "", str(font.regular.path), collection_font_number=font.regular.index)
        self.add_font(_FONT, "B", str(font.bold.path), collection_font_number=font.bold.index)
        self.set_lang("zh-CN")
        self.set_title(self._title)
        self.set_creator("bidopen")
        self.set_producer("bidopen (fpdf2)")
        # The document's own time, so that one signed document always prints to the same bytes.
        self.set_creation_date(instant(created))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=_MARGIN + 4)
        self.add_page()
        self.set_font(_FONT, "B", 17)
        self.cell(0, 9, title_zh, new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, "", 11)
        self.set_text_color(*_GREY)
        self.cell(0, 6, title_en, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-_MARGIN)
        self.set_font(_FONT, "", 8)
        self.set_text_color(*_GREY)
        self.cell(0, 5, self._title, align="L")
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # -- sections ---------------------------------------------------------------------------

    def heading(self, zh: str, en: str) -> None:
        self.ln(3)
        self.set_font(_FONT, "B", 12)
        self.cell(0, 7, f"{zh}  {en}", new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, "", 9)

    def note(self, text: str) -> None:
        self.set_font(_FONT, "", 9)
        self.multi_cell(0, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def facts(self, rows: Sequence[tuple[str, str]], *, size: float = 9) -> None:
        """Label and value pairs, one per line (labels in both languages)."""
        self.set_font(_FONT, "", size)
        with self.table(
            col_widths=(32, 68),
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=size * 0.55,
            padding=1,
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=TableStyle(emphasis="BOLD"))
                row.cell(value)
        self.set_font(_FONT, "", 9)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        size: float = 8,
    ) -> None:
        """A table with a heading row repeated on every page it spans."""
        if not rows:
            self.note("无 None")
            return
        self.set_font(_FONT, "", size)
        with self.table(
            col_widths=tuple(widths),
            headings_style=TableStyle(emphasis="BOLD", fill_color=_HEADING_FILL),
            line_height=size * 0.5,
            padding=1,
            repeat_headings=1,
        ) as table:
            head = table.row()
            for text in headings:
                head.cell(text)
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(text)
        self.set_font(_FONT, "", 9)

    def evidence(self, proof: Evidence) -> None:
        """The hashes, the signature and the QR code of the document hash; the file attached."""
        self.heading("验证信息", "Verification")
        self.facts(
            [
                ("文件哈希 SHA-256\nDocument hash", proof.document_sha256),
                ("服务器签名\nServer signature", proof.signature),
                ("签名密钥 Key id", proof.key_id),
                ("内嵌文件 Embedded file", proof.attachment.name),
                ("内嵌文件 SHA-256\nEmbedded file hash", proof.attachment_sha256),
            ],
            size=8,
        )
        self.ln(3)
        if self.will_page_break(_QR_SIZE + 2):
            self.add_page()
        top = self.get_y()
        self._qr(proof.document_sha256, self.l_margin, top)
        self.set_left_margin(_MARGIN + _QR_SIZE + 4)
        self.set_xy(self.l_margin, top)
        self.note(
            "二维码为文件哈希（已签名 payload 的 SHA-256，与开标大屏和公开日志所示一致）。"
            "本文件内嵌其所载的已签名 JSON 文件，提取：pdfdetach -saveall 本文件.pdf；"
            "验证：bidopen verify，或用服务器公钥（GET /api/server-key）验证签名。\n"
            "The QR code holds the document hash (SHA-256 of the signed payload, as the big "
            "screen and the public log show it). This PDF embeds the signed JSON it shows: "
            "extract it with `pdfdetach -saveall FILE.pdf` and check it with `bidopen verify` "
            "or against the server key (GET /api/server-key)."
        )
        self.set_left_margin(_MARGIN)
        self.set_xy(_MARGIN, max(self.get_y(), top + _QR_SIZE) + 2)
        self.embed_file(
            bytes=proof.attachment.data,
            basename=proof.attachment.name,
            mime_type="application/json",
            associated_file_relationship=AssociatedFileRelationship.SOURCE.value,
            desc=proof.attachment.description,
            modification_date=self.creation_date,
            creation_date=self.creation_date,
            compress=True,
        )

    def _qr(self, text: str, x: float, y: float) -> None:
        """The QR code drawn as vector squares (no image, so nothing to colour-manage)."""
        code = segno.make(text, error="m", micro=False)
        matrix = [tuple(line) for line in code.matrix_iter(scale=1, border=2)]
        module = _QR_SIZE / len(matrix)
        with self.local_context(fill_color=(0, 0, 0)):
            self._modules(matrix, x, y, module)

    def _modules(self, matrix: list[tuple[int, ...]], x: float, y: float, module: float) -> None:
        for r, line in enumerate(matrix):
            c = 0
            while c < len(line):
                if not line[c]:
                    c += 1
                    continue
                start = c
                while c < len(line) and line[c]:
                    c += 1
                # One rectangle per run of dark modules: no hairline seams between them.
                self.rect(x + start * module, y + r * module, (c - start) * module, module, "F")

    def finish(self) -> bytes:
        return bytes(self.output())
