"""The committed browser bundle seals, opens and writes key files in Chromium, and Python agrees."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_bidseal import CLIENT_WEB
from playwright.sync_api import Page, Route, sync_playwright

import bidseal
from bidseal import BidContext
from bidseal.codec import b64u_decode, b64u_encode

pytestmark = pytest.mark.browser

ORIGIN = "http://127.0.0.1:8765"  # never contacted: every request is answered by the route below
VENDOR = CLIENT_WEB / "static" / "vendor"
PASSPHRASE = "浏览器口令"
CONTEXT = BidContext("ZB-2026-0002", "标段3", "浏览器投标人")
SUMMARY: dict[str, object] = {"items": {"price": "98765.43"}, "document": {"name": "标书.pdf"}}
PAGE = b"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>bidseal</title></html>"


def context_json() -> dict[str, str]:
    return {"tender": CONTEXT.tender, "lot": CONTEXT.lot, "bidder": CONTEXT.bidder}


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed (scripts/test.sh installs it)")
    outside: list[str] = []

    def serve(route: Route) -> None:
        url = route.request.url
        if url == f"{ORIGIN}/":
            route.fulfill(status=200, body=PAGE, content_type="text/html; charset=utf-8")
        elif url.startswith(f"{ORIGIN}/vendor/") and (VENDOR / url.rsplit("/", 1)[1]).is_file():
            body = (VENDOR / url.rsplit("/", 1)[1]).read_bytes()
            route.fulfill(status=200, body=body, content_type="text/javascript; charset=utf-8")
        else:
            outside.append(url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        tab = browser.new_page()
        tab.route("**/*", serve)
        tab.goto(f"{ORIGIN}/")
        tab.evaluate("async () => { window.bidseal = await import('/vendor/bidseal.bundle.js'); }")
        yield tab
        browser.close()
    assert outside == [], f"the page asked for files the server does not serve: {outside}"


def test_browser_seals_a_file_python_opens(page: Page, tmp_path: Path) -> None:
    keys = bidseal.generate_keys()
    bidseal.write_key_dir(tmp_path / "keys", keys, PASSPHRASE, iterations=1000)
    key_text = (tmp_path / "keys" / "bidder-key.json").read_text(encoding="utf-8")
    size = 3 * (1 << 20) + 5  # four 1 MiB chunks, the last one short
    result = page.evaluate(
        """async ({keyText, passphrase, size, context, summary}) => {
            const b = window.bidseal;
            const keys = await b.importPrivateKeyFile(keyText, passphrase);
            const bytes = new Uint8Array(size);
            for (let i = 0; i < size; i++) bytes[i] = (i * 131 + 7) & 255;
            const file = new File([bytes], "投标文件.pdf", {type: "application/pdf"});
            const progress = [];
            const sealed = await b.seal({document: file, keys, context, summary,
                                         onProgress: (done, total) => progress.push(done)});
            const out = new Uint8Array(await sealed.parts.arrayBuffer());
            return {isBlob: sealed.parts instanceof Blob, sealed: b.b64uEncode(out),
                    bidSha256: sealed.bidSha256, size: sealed.size, progress};
        }""",
        {
            "keyText": key_text,
            "passphrase": PASSPHRASE,
            "size": size,
            "context": context_json(),
            "summary": SUMMARY,
        },
    )
    assert result["isBlob"]
    assert result["progress"] == [1 << 20, 2 << 20, 3 << 20, size]
    sealed = b64u_decode(result["sealed"])
    assert len(sealed) == result["size"]
    data_key = bidseal.unwrap_data_key(io.BytesIO(sealed), keys, CONTEXT)
    out = io.BytesIO()
    opened = bidseal.open_sealed(io.BytesIO(sealed), data_key, out)
    assert out.getvalue() == bytes((i * 131 + 7) % 256 for i in range(size))
    assert opened.summary == SUMMARY
    assert opened.bid_sha256 == result["bidSha256"]


def test_browser_opens_what_python_sealed(page: Page) -> None:
    keys = bidseal.generate_keys()
    document = "开标一览表 ".encode() * 5000
    sealed = io.BytesIO()
    sealed_by_python = bidseal.seal(
        io.BytesIO(document), sealed, keys=keys, context=CONTEXT, summary=SUMMARY, chunk_size=4096
    )
    key_file = bidseal.keys.encrypt_key_file(keys, PASSPHRASE, iterations=1000).decode()
    result = page.evaluate(
        """async ({keyFile, passphrase, sealed, context}) => {
            const b = window.bidseal;
            const keys = await b.importPrivateKeyFile(keyFile, passphrase);
            const opened = await b.openWithKeys(new Blob([b.b64uDecode(sealed)]), keys, context);
            const text = new TextDecoder().decode(await opened.document.arrayBuffer());
            return {summary: opened.summary, text, bidSha256: opened.bidSha256,
                    isBlob: opened.document instanceof Blob};
        }""",
        {
            "keyFile": key_file,
            "passphrase": PASSPHRASE,
            "sealed": b64u_encode(sealed.getvalue()),
            "context": context_json(),
        },
    )
    assert result["isBlob"]
    assert result["text"] == document.decode()
    assert result["summary"] == SUMMARY
    assert result["bidSha256"] == sealed_by_python.bid_sha256


def test_browser_key_file_loads_in_python(page: Page) -> None:
    result = page.evaluate(
        """async (passphrase) => {
            const b = window.bidseal;
            const keys = await b.generateKeys();
            const file = await b.exportPrivateKeyFile(keys, passphrase, {iterations: 1000});
            const signature = await b.signChallenge(keys, "challenge", "http://127.0.0.1:8765");
            return {file: JSON.stringify(file, null, 1), bundle: b.publicBundle(keys), signature};
        }""",
        PASSPHRASE,
    )
    keys = bidseal.keys.decrypt_key_file(result["file"].encode(), PASSPHRASE)
    assert b64u_encode(keys.public.signing_key) == result["bundle"]["signing_key"]
    assert bidseal.verify_challenge_signature(
        keys.public.signing_key, "challenge", "http://127.0.0.1:8765", result["signature"]
    )
