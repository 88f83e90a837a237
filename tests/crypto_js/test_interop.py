"""Both implementations of the sealed-bid format read what the other one writes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import unicodedata
from pathlib import Path

import pytest
from node_bidseal import CLIENT_WEB, JsRefused, require_node, run_js

import bidseal
from bidseal import BidContext, InvalidSealedBid, KeyFileError, ServerKey
from bidseal.codec import b64u_decode, b64u_encode

ITERATIONS = 1000
PASSPHRASE = "投标口令 correct horse"
CONTEXT = BidContext("ZB-2026-0001", "标段1", "北京某某建设有限公司")
SUMMARY: dict[str, object] = {
    "items": {"price": "1234567.89", "duration_days": "180", "质量": "合格"},
    "document": {"name": "投标文件.pdf", "type": "application/pdf"},
}
SIZES = [0, 1, 63, 64, 65, 64 * 5 + 3]


def context_json(context: BidContext = CONTEXT) -> dict[str, str]:
    return {"tender": context.tender, "lot": context.lot, "bidder": context.bidder}


def document_of(size: int) -> bytes:
    return bytes((i * 131 + 7) % 256 for i in range(size))


@pytest.fixture(scope="module")
def py_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("py-keys") / "keys"
    bidseal.write_key_dir(folder, bidseal.generate_keys(), PASSPHRASE, iterations=ITERATIONS)
    return folder


@pytest.fixture(scope="module")
def js_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("js-keys") / "keys"
    run_js("keygen", {"dir": str(folder), "passphrase": PASSPHRASE, "iterations": ITERATIONS})
    return folder


def py_seal(tmp_path: Path, key_dir: Path, document: bytes, chunk_size: int = 64) -> Path:
    return py_seal_result(tmp_path, key_dir, document, chunk_size)[0]


def py_seal_result(
    tmp_path: Path, key_dir: Path, document: bytes, chunk_size: int = 64
) -> tuple[Path, bidseal.SealResult]:
    (tmp_path / "document.bin").write_bytes(document)
    sealed = tmp_path / "py.bidseal"
    result = bidseal.seal_file(
        tmp_path / "document.bin",
        sealed,
        keys=bidseal.load_private_key_file(key_dir, PASSPHRASE),
        context=CONTEXT,
        summary=SUMMARY,
        chunk_size=chunk_size,
    )
    return sealed, result


def js_seal(tmp_path: Path, key_dir: Path, document: bytes, chunk_size: int = 64) -> Path:
    return js_seal_result(tmp_path, key_dir, document, chunk_size)[0]


def js_seal_result(
    tmp_path: Path, key_dir: Path, document: bytes, chunk_size: int = 64
) -> tuple[Path, dict[str, object]]:
    (tmp_path / "document.bin").write_bytes(document)
    sealed = tmp_path / "js.bidseal"
    result = run_js(
        "seal",
        {
            "key_dir": str(key_dir),
            "passphrase": PASSPHRASE,
            "document": str(tmp_path / "document.bin"),
            "out": str(sealed),
            "context": context_json(),
            "summary": SUMMARY,
            "chunk_size": chunk_size,
        },
    )
    assert result["size"] == sealed.stat().st_size
    return sealed, result


def py_open(sealed: Path, key_dir: Path, out: Path) -> bidseal.OpenedBid:
    keys = bidseal.load_private_key_file(key_dir, PASSPHRASE)
    with sealed.open("rb") as stream:
        data_key = bidseal.unwrap_data_key(stream, keys, CONTEXT)
    return bidseal.open_file(sealed, data_key, out)


def test_the_node_suite_passes() -> None:
    """The JS unit tests (round trips, tampering, key files, bundle drift) run under pytest too."""
    tests = sorted(str(p) for p in (CLIENT_WEB / "test").glob("*.test.mjs"))
    assert tests, "no node tests found"
    completed = subprocess.run(
        [require_node(), "--test", *tests],
        cwd=CLIENT_WEB,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-3000:]


@pytest.mark.parametrize("size", SIZES)
def test_python_seals_js_opens(tmp_path: Path, py_key_dir: Path, size: int) -> None:
    document = document_of(size)
    sealed, sealed_by_python = py_seal_result(tmp_path, py_key_dir, document)
    with sealed.open("rb") as stream:
        header = bidseal.read_header(stream)
    out = tmp_path / "opened.bin"
    result = run_js(
        "open",
        {
            "key_dir": str(py_key_dir),
            "passphrase": PASSPHRASE,
            "sealed": str(sealed),
            "out": str(out),
            "context": context_json(),
        },
    )
    assert out.read_bytes() == document
    assert result["summary"] == SUMMARY
    assert result["size"] == size
    assert result["bid_sha256"] == sealed_by_python.bid_sha256
    inspected = run_js("inspect", {"sealed": str(sealed)})
    assert inspected["bid_sha256"] == sealed_by_python.bid_sha256
    assert inspected["context"] == context_json()
    assert inspected["chunk_count"] == max(1, -(-size // 64))
    assert inspected["signer_key_id"] == hashlib.sha256(header.signer_key).hexdigest()


@pytest.mark.parametrize("size", SIZES)
def test_js_seals_python_opens(tmp_path: Path, js_key_dir: Path, size: int) -> None:
    document = document_of(size)
    sealed, sealed_by_js = js_seal_result(tmp_path, js_key_dir, document)
    opened = py_open(sealed, js_key_dir, tmp_path / "opened.bin")
    assert (tmp_path / "opened.bin").read_bytes() == document
    assert opened.summary == SUMMARY
    assert opened.size == size
    assert opened.bid_sha256 == sealed_by_js["bid_sha256"]


def test_megabyte_chunks_both_ways(tmp_path: Path, py_key_dir: Path, js_key_dir: Path) -> None:
    """The default 1 MiB chunk size, with a partial last chunk."""
    document = document_of(1 << 16) * 40 + b"tail"
    py_dir, js_dir = tmp_path / "py", tmp_path / "js"
    py_dir.mkdir()
    js_dir.mkdir()
    from_python = py_seal(py_dir, py_key_dir, document, chunk_size=1 << 20)
    out = py_dir / "opened.bin"
    run_js(
        "open",
        {
            "key_dir": str(py_key_dir),
            "passphrase": PASSPHRASE,
            "sealed": str(from_python),
            "out": str(out),
        },
    )
    assert out.read_bytes() == document
    from_js = js_seal(js_dir, js_key_dir, document, chunk_size=1 << 20)
    assert py_open(from_js, js_key_dir, js_dir / "opened.bin").size == len(document)
    assert (js_dir / "opened.bin").read_bytes() == document


def test_the_browser_hands_its_data_key_to_the_python_server(
    tmp_path: Path, js_key_dir: Path
) -> None:
    """The opening: the bidder's client unwraps K, the server opens with K alone."""
    document = document_of(500)
    sealed = js_seal(tmp_path, js_key_dir, document)
    data_key = b64u_decode(
        str(
            run_js(
                "unwrap",
                {
                    "key_dir": str(js_key_dir),
                    "passphrase": PASSPHRASE,
                    "sealed": str(sealed),
                    "context": context_json(),
                },
            )["data_key"]
        )
    )
    opened = bidseal.open_file(sealed, data_key, tmp_path / "opened.bin")
    assert (tmp_path / "opened.bin").read_bytes() == document
    assert opened.summary == SUMMARY


def test_the_python_client_hands_its_data_key_to_a_js_opener(
    tmp_path: Path, py_key_dir: Path
) -> None:
    document = document_of(500)
    sealed = py_seal(tmp_path, py_key_dir, document)
    keys = bidseal.load_private_key_file(py_key_dir, PASSPHRASE)
    with sealed.open("rb") as stream:
        data_key = bidseal.unwrap_data_key(stream, keys, CONTEXT)
    out = tmp_path / "opened.bin"
    run_js("open", {"sealed": str(sealed), "data_key": b64u_encode(data_key), "out": str(out)})
    assert out.read_bytes() == document


def test_wrong_context_is_refused_both_ways(
    tmp_path: Path, py_key_dir: Path, js_key_dir: Path
) -> None:
    other = BidContext(CONTEXT.tender, "标段2", CONTEXT.bidder)
    from_python = py_seal(tmp_path, py_key_dir, b"bid")
    with pytest.raises(JsRefused) as refused:
        run_js(
            "unwrap",
            {
                "key_dir": str(py_key_dir),
                "passphrase": PASSPHRASE,
                "sealed": str(from_python),
                "context": context_json(other),
            },
        )
    assert refused.value.name == "InvalidSealedBidError"
    from_js = js_seal(tmp_path, js_key_dir, b"bid")
    keys = bidseal.load_private_key_file(js_key_dir, PASSPHRASE)
    with from_js.open("rb") as stream, pytest.raises(InvalidSealedBid):
        bidseal.unwrap_data_key(stream, keys, other)


def test_a_flipped_bit_is_refused_both_ways(
    tmp_path: Path, py_key_dir: Path, js_key_dir: Path
) -> None:
    from_python = py_seal(tmp_path, py_key_dir, document_of(300))
    data = bytearray(from_python.read_bytes())
    data[len(data) // 2] ^= 1
    damaged = tmp_path / "damaged-py.bidseal"
    damaged.write_bytes(bytes(data))
    with pytest.raises(JsRefused) as refused:
        run_js("inspect", {"sealed": str(damaged)})
    assert refused.value.name == "InvalidSealedBidError"

    from_js = js_seal(tmp_path, js_key_dir, document_of(300))
    data = bytearray(from_js.read_bytes())
    data[len(data) // 2] ^= 1
    damaged = tmp_path / "damaged-js.bidseal"
    damaged.write_bytes(bytes(data))
    with pytest.raises(InvalidSealedBid):
        py_open(damaged, js_key_dir, tmp_path / "never.bin")
    assert not (tmp_path / "never.bin").exists()


def test_key_files_are_read_by_the_other_side(py_key_dir: Path, js_key_dir: Path) -> None:
    js_public = json.loads((js_key_dir / "bidder-public.json").read_text())
    keys = bidseal.load_private_key_file(js_key_dir, PASSPHRASE)
    assert b64u_encode(keys.public.signing_key) == js_public["signing_key"]
    assert b64u_encode(keys.public.encryption_key) == js_public["encryption_key"]
    assert bidseal.load_public_bundle(js_key_dir) == keys.public
    # JS reads the Python key file in every test that opens a Python-sealed file;
    # here it also proves which key it read, through a challenge signature.
    signature = run_js(
        "sign-challenge",
        {"key_dir": str(py_key_dir), "passphrase": PASSPHRASE, "challenge": "c", "audience": "a"},
    )["signature"]
    py_public = bidseal.load_public_bundle(py_key_dir)
    assert bidseal.verify_challenge_signature(py_public.signing_key, "c", "a", str(signature))


def test_wrong_passphrase_is_refused_both_ways(py_key_dir: Path, js_key_dir: Path) -> None:
    with pytest.raises(JsRefused) as refused:
        run_js(
            "sign-challenge",
            {"key_dir": str(py_key_dir), "passphrase": "wrong", "challenge": "c", "audience": "a"},
        )
    assert refused.value.name == "KeyFileError"
    with pytest.raises(KeyFileError):
        bidseal.load_private_key_file(js_key_dir, "wrong")


def test_passphrases_are_nfc_on_both_sides(tmp_path: Path) -> None:
    composed = "caf\u00e9 口令"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    py_dir = tmp_path / "py"
    bidseal.write_key_dir(py_dir, bidseal.generate_keys(), composed, iterations=ITERATIONS)
    run_js(
        "sign-challenge",
        {"key_dir": str(py_dir), "passphrase": decomposed, "challenge": "c", "audience": "a"},
    )
    js_dir = tmp_path / "js"
    run_js("keygen", {"dir": str(js_dir), "passphrase": decomposed, "iterations": ITERATIONS})
    bidseal.load_private_key_file(js_dir, composed)


def test_python_signed_receipt_verifies_in_js() -> None:
    server = ServerKey.generate()
    payload: dict[str, object] = {
        "tender": CONTEXT.tender,
        "lot": CONTEXT.lot,
        "bidder": CONTEXT.bidder,
        "bid_sha256": "ab" * 32,
        "size": 123456,
        "received_at": "2026-11-27T01:02:03.123456Z",
        "receipt_no": 17,
    }
    envelope = bidseal.sign_document("receipt", payload, server)
    trusted = b64u_encode(server.public_key)
    result = run_js(
        "verify-signed", {"envelope": envelope, "type": "receipt", "trusted_key": trusted}
    )
    assert result["payload"] == payload

    tampered = {**envelope, "payload": envelope["payload"].replace("17", "18")}
    impostor = b64u_encode(ServerKey.generate().public_key)
    for request in (
        {"envelope": tampered, "type": "receipt", "trusted_key": trusted},
        {"envelope": envelope, "type": "opening-record", "trusted_key": trusted},
        {"envelope": envelope, "type": "receipt", "trusted_key": impostor},
    ):
        with pytest.raises(JsRefused) as refused:
            run_js("verify-signed", request)
        assert refused.value.name == "InvalidSignedDocumentError"


def test_js_signed_challenge_verifies_in_python(js_key_dir: Path) -> None:
    public = bidseal.load_public_bundle(js_key_dir)
    challenge, audience = "q8J0-challenge", "https://kaibiao.example"
    signature = str(
        run_js(
            "sign-challenge",
            {
                "key_dir": str(js_key_dir),
                "passphrase": PASSPHRASE,
                "challenge": challenge,
                "audience": audience,
            },
        )["signature"]
    )
    assert bidseal.verify_challenge_signature(public.signing_key, challenge, audience, signature)
    assert not bidseal.verify_challenge_signature(
        public.signing_key, challenge, "https://other.example", signature
    )
    assert not bidseal.verify_challenge_signature(public.signing_key, "other", audience, signature)


def test_python_rehearsal_envelope_opens_in_js(js_key_dir: Path) -> None:
    public = bidseal.load_public_bundle(js_key_dir)
    envelope, expected = bidseal.make_rehearsal_envelope(public, "challenge-7", "bidder-1")
    request: dict[str, object] = {
        "key_dir": str(js_key_dir),
        "passphrase": PASSPHRASE,
        "envelope": envelope,
        "challenge_id": "challenge-7",
        "bidder": "bidder-1",
    }
    answer = b64u_decode(str(run_js("rehearsal", request)["key"]))
    assert bidseal.check_rehearsal_answer(expected, answer)
    with pytest.raises(JsRefused) as refused:
        run_js("rehearsal", {**request, "bidder": "bidder-2"})
    assert refused.value.name == "InvalidSealedBidError"
