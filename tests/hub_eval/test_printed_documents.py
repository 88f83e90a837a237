"""The printed documents over REST: each PDF shows the tender, every bid and the hash, embeds
the signed JSON (which verifies with the server key), declares PDF/A-3b with its fonts
embedded, and is refused, not printed, where its JSON twin is refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pikepdf
import pytest
from evaluation_kit import (
    LOT,
    PRICES,
    reach_report_stage,
    result_body,
    run_opening,
    server_key,
)
from hubtesting import HubApi, seal_bid

from bidopen.verify.check import Trust, verify_bundle
from bidseal import verify_document
from bidseal.readout import amount_in_capitals, format_amount

HubProcess = Any  # tests/conftest.py's fixture type (every conftest module is `conftest`)


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def fetch_pdf(
    api: HubApi, path: str, headers: dict[str, str] | None = None
) -> tuple[bytes, str]:
    async with api.http.get(path, headers=headers or {}) as response:
        body = await response.read()
        assert response.status == 200, (response.status, body[:300])
        assert response.headers["Content-Type"] == "application/pdf"
        assert body.startswith(b"%PDF-")
        return body, response.headers["Content-Disposition"]


def pdf_text(pdf: bytes, folder: Path) -> str:
    """What poppler's pdftotext reads, one line of the page per line (no wrapped hashes)."""
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode()


def embedded(pdf: bytes) -> tuple[str, bytes]:
    """The one embedded file, and that it is the document's PDF/A-3 associated file."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        [(name, spec)] = document.attachments.items()
        [associated] = document.Root.AF
        assert associated.AFRelationship == pikepdf.Name.Source
        assert name == associated.UF
        return name, spec.get_file().read_bytes()


def check_pdfa(pdf: bytes) -> None:
    """Declared PDF/A-3b: XMP pdfaid, an sRGB output intent, every font embedded as a subset."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        xmp = document.open_metadata()
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("3", "B")
        [intent] = document.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFA1 and "/DestOutputProfile" in intent
        assert str(intent.OutputConditionIdentifier) == "sRGB"
        assert document.pdf_version >= "1.7" and document.Root.Lang == "zh-CN"
        fonts = 0
        for page in document.pages:
            for font in page.Resources.Font.values():
                for descendant in font.get("/DescendantFonts", [font]):
                    descriptor = descendant.FontDescriptor
                    assert any(k in descriptor for k in ("/FontFile2", "/FontFile3")), font
                    # A subset's name starts with six capitals and a plus sign.
                    assert str(descendant.BaseFont)[7:8] == "+", descendant.BaseFont
                    fonts += 1
        assert fonts >= 1


async def bundle_covers(api: HubApi, tid: str, kind: str) -> None:
    """Waits (bounded) until the log's checkpoint covers the session's `kind` entry."""
    for _ in range(100):
        status, bundle = await api.call("GET", f"/api/sessions/{tid}/bundle")
        if status == 200:
            kinds = {
                json.loads(base64.b64decode(e["entry"])).get("kind") for e in bundle["entries"]
            }
            if kind in kinds:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the log's checkpoint never covered {kind}")


async def test_record_and_result_pdfs_show_verify_and_declare_pdfa(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    api = HubApi(hub_client)
    session = await run_opening(api, hub_process.host_user, hub_process.host_password)
    tid = session.tender_id
    key = await server_key(api)
    _, record = await api.call("GET", f"/api/sessions/{tid}/record", expect=200)
    record_sha256 = hashlib.sha256(record["payload"].encode()).hexdigest()
    payload = verify_document(record, "opening-record", key)

    await bundle_covers(api, tid, "record_published")
    pdf, disposition = await fetch_pdf(api, f"/api/sessions/{tid}/record.pdf")
    assert f'filename="{tid}-opening-record.pdf"' in disposition
    text = pdf_text(pdf, tmp_path)
    assert "开标记录表" in text and "某某道路改造工程施工" in text and tid in text
    assert record_sha256 in text
    for bid in payload["bids"]:  # type: ignore[attr-defined]
        assert bid["bidder_name"] in text and bid["bid_sha256"] in text
    for price in PRICES.values():
        assert format_amount(price) in text and amount_in_capitals(price) in text
    check_pdfa(pdf)
    # The record PDF embeds the session's bundle; it verifies offline with the server key.
    name, data = embedded(pdf)
    assert name == f"{tid}.bundle.json" and hashlib.sha256(data).hexdigest() in text
    bundle = json.loads(data)
    _, vkey = await api.call("GET", "/log/vkey", expect=200)
    report = verify_bundle(bundle, Trust(log_vkey=vkey.strip(), server_key=key))
    assert report.lines
    [embedded_record] = bundle["records"]
    assert verify_document(embedded_record, "opening-record", key) == payload

    # A result is refused, as its JSON is, until it is published.
    status, refused = await api.call("GET", f"/api/sessions/{tid}/results/{LOT}.pdf")
    assert (status, refused["error"]["code"]) == (404, "record_not_published")
    await reach_report_stage(api, session)
    await api.host(tid, "publish_result", result_body(session))
    _, result = await api.call("GET", f"/api/sessions/{tid}/results/{LOT}", expect=200)
    pdf, _ = await fetch_pdf(api, f"/api/sessions/{tid}/results/{LOT}.pdf")
    text = pdf_text(pdf, tmp_path)
    assert "中标候选人公示" in text and tid in text
    assert hashlib.sha256(result["payload"].encode()).hexdigest() in text
    assert all(bidder.name in text for bidder in session.bidders)
    check_pdfa(pdf)
    name, data = embedded(pdf)
    assert name == f"result-{tid}-{LOT}.json"
    assert verify_document(data.decode(), "evaluation-result", key) == verify_document(
        result, "evaluation-result", key
    )


async def test_receipt_pdf_is_the_bidders_own(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender(deadline_in=3600))["id"]
    owner, other = await api.register("甲建设集团"), await api.register("乙路桥公司")
    sealed = seal_bid(owner, tid, LOT, {"price": "1000000.00", "duration_days": "180"})
    status, answer = await api.upload(owner, tid, LOT, sealed)
    assert status == 201, answer
    receipt = verify_document(answer["receipt"], "receipt", await server_key(api))
    path = f"/api/tenders/{tid}/lots/{LOT}/bid/receipt.pdf"

    pdf, _ = await fetch_pdf(api, path, owner.auth)
    text = pdf_text(pdf, tmp_path)
    assert "投标文件递交回执" in text and tid in text and "甲建设集团" in text
    assert str(receipt["bid_sha256"]) in text and "北京时间" in text
    check_pdfa(pdf)
    _, data = embedded(pdf)
    assert verify_document(data.decode(), "receipt", await server_key(api)) == receipt

    # Nobody else gets it: another bidder has no bid there, the public no account.
    status, refused = await api.call("GET", path, headers=other.auth)
    assert (status, refused["error"]["code"]) == (404, "bid_not_found")
    status, refused = await api.call("GET", path)
    assert (status, refused["error"]["code"]) == (401, "unauthenticated")


async def test_unpublished_record_is_refused_not_printed(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tid = (await api.create_tender(deadline_in=3600))["id"]
    status, refused = await api.call("GET", f"/api/sessions/{tid}/record.pdf")
    assert (status, refused["error"]["code"]) == (404, "record_not_published")
