"""Printable signed documents over HTTP: the receipt, the opening record and a lot's result.

The views only fetch the signed document (with the refusals of its JSON twin), choose
what the PDF embeds, and hand the rendering to the printer (`bidopen.service.printing`).
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

from aiohttp import web

from bidopen.appkeys import ACCOUNTS, BIDDING, DATABASE, OPENING, PRINTER, PUBLIC_LOG, SIGNER
from bidopen.http.auth import require
from bidopen.http.declared import PDF, answers
from bidopen.printing.evidence import Attachment
from bidopen.printing.signed import SignedDocument
from bidopen.service.accounts import BIDDER
from bidopen.service.bundles import session_bundle
from bidopen.service.signing import document_text
from bidopen.tlog.errors import LogError

routes = web.RouteTableDef()

_ID = "[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
_SESSION = "{session_id:[A-Za-z0-9._-]{1,64}}"


def _pdf(data: bytes, filename: str) -> web.Response:
    return web.Response(
        body=data,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@routes.get(f"/api/tenders/{{tender_id:{_ID}}}/lots/{{lot_id:{_ID}}}/bid/receipt.pdf")
@answers(media_type=PDF, description="The receipt, printable; the signed receipt embedded.")
async def receipt_pdf(request: web.Request) -> web.Response:
    """The caller's own receipt for its current bid in the lot; nobody else's."""
    principal = await require(request, BIDDER)
    bidder = await request.app[ACCOUNTS].bidder(principal.subject)
    info = request.match_info
    found = await request.app[BIDDING].receipt(info["tender_id"], info["lot_id"], bidder.id)
    receipt = SignedDocument.parse(document_text(found["receipt"]))
    # The renderers are imported when first used: the PDF library and its font tools take
    # 0.16 s to import, which every start of every node would pay for a rare page.
    from bidopen.printing.receipt import render_receipt

    pdf = await request.app[PRINTER].print(
        f"receipt:{receipt.sha256}:{bidder.org_name}",
        lambda font: render_receipt(receipt, bidder.org_name, font),
    )
    name = f"receipt-{info['tender_id']}-{info['lot_id']}-{receipt.payload.get('receipt_id')}.pdf"
    return _pdf(pdf, name)


async def _record_attachment(
    app: web.Application, session_id: str, record: SignedDocument
) -> tuple[Attachment, str]:
    """The session's bundle when the log holds its entries, else the signed record itself;
    with the part of the cache key that changes when the embedded file says more."""
    try:
        bundle = await session_bundle(app[DATABASE], app[PUBLIC_LOG], app[SIGNER], session_id)
    except LogError:
        bundle = None
    if bundle is None or not _covers_documents(bundle):
        name = f"{session_id}.opening-record.json"
        return record.as_attachment(name, "signed opening record"), "record"
    # A newer checkpoint alone makes no new PDF: the one kept proves the same entries.
    covered = f"bundle:{len(bundle['entries'])}:{len(bundle['results'])}"
    data = json.dumps(bundle).encode()
    return Attachment(f"{session_id}.bundle.json", data, "session bundle"), covered


def _covers_documents(bundle: dict[str, Any]) -> bool:
    """Whether the bundle's checkpoint already covers the publication of each document in it.

    Just after a publication the checkpoint may lag (up to `public_log_checkpoint_ms`); such
    a bundle would not verify, so the signed record is embedded instead until it does.
    """
    kinds = Counter(json.loads(base64.b64decode(e["entry"])).get("kind") for e in bundle["entries"])
    return kinds["record_published"] >= len(bundle["records"]) >= 1 and kinds[
        "result_published"
    ] >= len(bundle["results"])


@routes.get(f"/api/sessions/{_SESSION}/record.pdf")
@answers(media_type=PDF, description="The opening record, printable; the bundle embedded.")
async def record_pdf(request: web.Request) -> web.Response:
    """The published opening record (public), embedding the session's bundle."""
    session_id = request.match_info["session_id"]
    record = SignedDocument.parse(await request.app[OPENING].document(session_id, "opening-record"))
    embedded, covered = await _record_attachment(request.app, session_id, record)
    from bidopen.printing.record import render_record  # imported when first used (receipt_pdf)

    pdf = await request.app[PRINTER].print(
        f"record:{session_id}:{record.sha256}:{covered}",
        lambda font: render_record(record, embedded, font),
    )
    return _pdf(pdf, f"{session_id}-opening-record.pdf")


@routes.get(f"/api/sessions/{_SESSION}/results/{{lot_id:{_ID}}}.pdf")
@answers(media_type=PDF, description="The result notice, printable; the signed result embedded.")
async def result_pdf(request: web.Request) -> web.Response:
    """A lot's published result notice (public), embedding the signed result."""
    session_id, lot_id = request.match_info["session_id"], request.match_info["lot_id"]
    text = await request.app[OPENING].document(session_id, "evaluation-result", lot_id)
    result = SignedDocument.parse(text)
    from bidopen.printing.result import render_result  # imported when first used (receipt_pdf)

    pdf = await request.app[PRINTER].print(
        f"result:{result.sha256}", lambda font: render_result(result, font)
    )
    return _pdf(pdf, f"{session_id}-result-{lot_id}.pdf")
