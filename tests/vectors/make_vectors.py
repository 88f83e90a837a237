"""Write the shared, deterministic Python-made test vectors of the bidseal/1 format.

Run from the repository root: ``python tests/vectors/make_vectors.py``. Every
random input is fixed here (keys, data keys, nonce prefixes, salts, HPKE
ephemeral keys) and ECDSA uses RFC 6979, so running it again writes the same
bytes; tests/crypto/test_bidseal_vectors.py checks that.

``cryptography``'s HPKE cannot take a chosen ephemeral key, so this script
performs the RFC 9180 base-mode single-shot seal itself for the wrapped keys
and checks every result with ``cryptography``'s own ``decrypt``. This code is
for vectors only: the library always lets HPKE draw its ephemeral key.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import struct
import sys
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bidseal import BidContext, BidderKeys, FixedSealInputs, SealedBidReader, ServerKey, seal
from bidseal.challenge import challenge_message
from bidseal.codec import b64u_decode, b64u_encode
from bidseal.format import (
    PREAMBLE_LEN,
    SIGNATURE_LEN,
    TAG_LEN,
    body_key,
    chunk_nonce,
    hpke_info,
    summary_digest,
    summary_key,
    to_be_signed,
)
from bidseal.keys import encrypt_key_file
from bidseal.p256 import load_point, point_of, private_from_scalar, sign_raw
from bidseal.signed import sign_document, signed_message
from bidseal.summary import encode_summary
from bidseal.wrapping import rehearsal_context

HERE = Path(__file__).resolve().parent
SEALED_FILE = HERE / "sealed-bid-v1.json"
INVALID_FILE = HERE / "invalid-sealed-bid-v1.json"
KEY_FILE = HERE / "private-key-v1.json"
SIGNED_FILE = HERE / "signed-v1.json"
VECTOR_FORMAT = "bidseal-test-vectors/1"
SEALED_DESCRIPTION = (
    "Valid sealed files with every intermediate value (docs/sealed-bid-format.md section 2)."
    " Bytes as hex, except sealed (b64u)."
)
INVALID_DESCRIPTION = (
    "Files every reader must refuse. fails_at=read: without any key. fails_at=open:"
    " structure and signature are valid (the bidder re-signed the change), and unwrapping"
    " with keys.encryption_private for the header's own context, or opening with the"
    " unwrapped key, must fail."
)


# --- deterministic inputs --------------------------------------------------------


def scalar(label: str) -> bytes:
    """A valid P-256 private scalar derived from a label (far below the group order)."""
    return b"\x00" + hashlib.sha256(label.encode()).digest()[1:]


def random_bytes(label: str, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:length]


BIDDER = BidderKeys.from_scalars(scalar("bidder encryption"), scalar("bidder signing"))
OTHER_BIDDER = BidderKeys.from_scalars(scalar("other encryption"), scalar("other signing"))
SERVER = ServerKey(private_from_scalar(scalar("server signing")))


# --- RFC 9180 DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, base mode -----------

_KEM_SUITE = b"KEM" + struct.pack(">H", 0x0010)
_HPKE_SUITE = b"HPKE" + struct.pack(">HHH", 0x0010, 0x0001, 0x0002)


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes((counter,)), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite + label + ikm)


def _labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite + label + info, length)


def hpke_seal_with_ephemeral(
    recipient_point: bytes, info: bytes, plaintext: bytes, ephemeral_scalar: bytes
) -> dict[str, bytes]:
    """SetupBaseS and Seal (sequence 0, empty aad) with a chosen ephemeral key."""
    ephemeral = private_from_scalar(ephemeral_scalar)
    recipient = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), recipient_point)
    dh = ephemeral.exchange(ec.ECDH(), recipient)
    enc = point_of(ephemeral)
    kem_context = enc + recipient_point
    eae_prk = _labeled_extract(_KEM_SUITE, b"", b"eae_prk", dh)
    shared_secret = _labeled_expand(_KEM_SUITE, eae_prk, b"shared_secret", kem_context, 32)
    psk_id_hash = _labeled_extract(_HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(_HPKE_SUITE, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = _labeled_extract(_HPKE_SUITE, shared_secret, b"secret", b"")
    key = _labeled_expand(_HPKE_SUITE, secret, b"key", context, 32)
    base_nonce = _labeled_expand(_HPKE_SUITE, secret, b"base_nonce", context, 12)
    ct = AESGCM(key).encrypt(base_nonce, plaintext, b"")
    return {
        "enc": enc,
        "shared_secret": shared_secret,
        "key": key,
        "base_nonce": base_nonce,
        "wrapped": enc + ct,
    }


def check_with_cryptography(wrapped: bytes, keys: BidderKeys, info: bytes, expected: bytes) -> None:
    suite = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    if suite.decrypt(wrapped, keys.encryption_private, info=info) != expected:
        raise AssertionError("hand-made HPKE does not match cryptography's")


# --- sealed files -----------------------------------------------------------------

CONTEXT = BidContext("ZB-2026-0001", "标段1", "北京某某建设有限公司")
SUMMARY: Mapping[str, object] = {
    "items": {"price": "1234567.89", "duration_days": "180", "质量标准": "合格"},
    "document": {"name": "投标文件.pdf", "type": "application/pdf"},
}
CASES: list[dict[str, Any]] = [
    {"name": "empty", "size": 0, "chunk_size": 64, "context": CONTEXT},
    {"name": "one-byte", "size": 1, "chunk_size": 64, "context": CONTEXT},
    {"name": "exactly-one-chunk", "size": 64, "chunk_size": 64, "context": CONTEXT},
    {
        "name": "several-chunks-short-last",
        "size": 64 * 3 + 17,
        "chunk_size": 64,
        "context": CONTEXT,
    },
    {"name": "whole-chunks", "size": 128 * 2, "chunk_size": 128, "context": CONTEXT},
    {
        "name": "non-ascii-context",
        "size": 100,
        "chunk_size": 64,
        # Astral characters (surrogate pairs in JavaScript), an ideographic space, a slash.
        "context": BidContext("招标/2026/𠀀号", "第１标段", "𝔅idder　北京 «Ω»"),
    },
]


def seal_case(case: Mapping[str, Any]) -> dict[str, Any]:
    name = case["name"]
    context: BidContext = case["context"]
    document = random_bytes(f"document {name}", case["size"])
    data_key = random_bytes(f"data key {name}", 32)
    nonce_prefix = random_bytes(f"nonce prefix {name}", 7)
    info = hpke_info(context)
    hpke_parts = hpke_seal_with_ephemeral(
        BIDDER.public.encryption_key, info, data_key, scalar(f"ephemeral {name}")
    )
    check_with_cryptography(hpke_parts["wrapped"], BIDDER, info, data_key)
    out = io.BytesIO()
    result = seal(
        io.BytesIO(document),
        out,
        keys=BIDDER,
        context=context,
        summary=SUMMARY,
        chunk_size=case["chunk_size"],
        fixed=FixedSealInputs(data_key, nonce_prefix, hpke_parts["wrapped"]),
    )
    sealed = out.getvalue()
    return {
        "name": name,
        "context": {"tender": context.tender, "lot": context.lot, "bidder": context.bidder},
        "chunk_size": case["chunk_size"],
        "document": document.hex(),
        "summary_plaintext": encode_summary(SUMMARY).hex(),
        "data_key": data_key.hex(),
        "nonce_prefix": nonce_prefix.hex(),
        "hpke": {
            "info": info.hex(),
            "ephemeral_private": scalar(f"ephemeral {name}").hex(),
            "enc": hpke_parts["enc"].hex(),
            "shared_secret": hpke_parts["shared_secret"].hex(),
            "key": hpke_parts["key"].hex(),
            "base_nonce": hpke_parts["base_nonce"].hex(),
        },
        "wrapped_key": hpke_parts["wrapped"].hex(),
        **derived_values(sealed, data_key),
        "bid_sha256": result.bid_sha256,
        "sealed": b64u_encode(sealed),
    }


def derived_values(sealed: bytes, data_key: bytes) -> dict[str, Any]:
    """Every intermediate value of section 2, recomputed from the sealed bytes and the data key.

    This is the checker's half too: tests run it on the stored bytes and
    compare with what the file says.
    """
    header_len = int.from_bytes(sealed[8:12], "big")
    head = sealed[: PREAMBLE_LEN + header_len]
    summary_len = int.from_bytes(sealed[len(head) : len(head) + 4], "big")
    summary_ct = sealed[len(head) + 4 : len(head) + 4 + summary_len]
    body = sealed[len(head) + 4 + summary_len : -SIGNATURE_LEN]
    header = json.loads(head[PREAMBLE_LEN:])
    chunk_size = header["chunk_size"]
    full = chunk_size + TAG_LEN
    chunks = []
    while len(body) > full:
        chunks.append(body[:full])
        body = body[full:]
    chunks.append(body)
    header_hash = hashlib.sha256(head).digest()
    body_k, summary_k = body_key(data_key), summary_key(data_key)
    prefix = bytes.fromhex(_b64u_hex(header["nonce_prefix"]))
    summary_plain = AESGCM(summary_k).decrypt(bytes(12), summary_ct, header_hash)
    chunk_rows = []
    for index, chunk in enumerate(chunks):
        nonce = chunk_nonce(prefix, index, index == len(chunks) - 1)
        plain = AESGCM(body_k).decrypt(nonce, chunk, header_hash)
        chunk_rows.append(
            {
                "nonce": nonce.hex(),
                "plaintext_sha256": hashlib.sha256(plain).hexdigest(),
                "ciphertext_sha256": hashlib.sha256(chunk).hexdigest(),
            }
        )
    body_digest = hashlib.sha256(b"".join(hashlib.sha256(c).digest() for c in chunks)).digest()
    tbs = to_be_signed(header_hash, summary_digest(summary_ct), body_digest)
    signature = sealed[-SIGNATURE_LEN:]
    return {
        "header_json": head[PREAMBLE_LEN:].decode("utf-8"),
        "header_hash": header_hash.hex(),
        "body_key": body_k.hex(),
        "summary_key": summary_k.hex(),
        "summary_decrypted": summary_plain.hex(),
        "summary_ct_sha256": hashlib.sha256(summary_ct).hexdigest(),
        "chunks": chunk_rows,
        "body_digest": body_digest.hex(),
        "tbs": tbs.hex(),
        "signature": signature.hex(),
        "bid_sha256_of_tbs_and_signature": hashlib.sha256(tbs + signature).hexdigest(),
    }


def _b64u_hex(text: str) -> str:
    return b64u_decode(text).hex()


# --- invalid files ------------------------------------------------------------------


def split(sealed: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """(head, summary_ct, body, signature) of a valid file."""
    info = _read(sealed)
    head = sealed[: PREAMBLE_LEN + int.from_bytes(sealed[8:12], "big")]
    return head, info.summary_ct, sealed[info.body_offset : -SIGNATURE_LEN], sealed[-SIGNATURE_LEN:]


def _read(sealed: bytes) -> Any:
    reader = SealedBidReader()
    reader.feed(sealed)
    return reader.finish()


def assemble(
    head: bytes, summary_ct: bytes, body: bytes, signer: BidderKeys | None, signature: bytes = b""
) -> bytes:
    """A file from its parts; with ``signer`` it gets a valid (RFC 6979) signature."""
    if signer is not None:
        try:
            chunk_size = json.loads(head[PREAMBLE_LEN:]).get("chunk_size", 64)
        except ValueError:  # a header made invalid on purpose; the vectors use 64
            chunk_size = 64
        full = (chunk_size if isinstance(chunk_size, int) and chunk_size > 0 else 64) + TAG_LEN
        chunks, rest = [], body
        while len(rest) > full:
            chunks.append(rest[:full])
            rest = rest[full:]
        chunks.append(rest)
        digest = hashlib.sha256(b"".join(hashlib.sha256(c).digest() for c in chunks)).digest()
        tbs = to_be_signed(hashlib.sha256(head).digest(), summary_digest(summary_ct), digest)
        signature = sign_raw(signer.signing_private, tbs, deterministic=True)
    return head + struct.pack(">I", len(summary_ct)) + summary_ct + body + signature


def replace_header(head: bytes, header_json: bytes) -> bytes:
    return head[:8] + struct.pack(">I", len(header_json)) + header_json


def flip(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def _require_not_a_point(point: bytes) -> None:
    try:
        load_point(point)
    except ValueError:
        return
    raise AssertionError("meant to be no P-256 point")


def empty_last_chunk(whole: Mapping[str, Any]) -> bytes:
    """The other encoding of a whole-chunk document: its chunks with last flag 0, then an
    empty chunk with last flag 1, every tag valid and the file re-signed (section 2.5)."""
    sealed = b64u_decode(whole["sealed"])
    head, summary_ct, _, _ = split(sealed)
    document = bytes.fromhex(whole["document"])
    chunk_size = whole["chunk_size"]
    plaintexts = [document[i : i + chunk_size] for i in range(0, len(document), chunk_size)]
    plaintexts.append(b"")
    cipher = AESGCM(body_key(bytes.fromhex(whole["data_key"])))
    prefix = bytes.fromhex(whole["nonce_prefix"])
    header_hash = hashlib.sha256(head).digest()
    body = b"".join(
        cipher.encrypt(chunk_nonce(prefix, i, i == len(plaintexts) - 1), plain, header_hash)
        for i, plain in enumerate(plaintexts)
    )
    return assemble(head, summary_ct, body, BIDDER)


def invalid_cases(valid: Mapping[str, Any], whole: Mapping[str, Any]) -> list[dict[str, Any]]:
    sealed = b64u_decode(valid["sealed"])
    data_key = bytes.fromhex(valid["data_key"])
    head, summary_ct, body, signature = split(sealed)
    header = json.loads(head[PREAMBLE_LEN:])
    header_text = head[PREAMBLE_LEN:].decode()
    full = 64 + TAG_LEN

    def header_with(**changes: object) -> bytes:
        return json.dumps({**header, **changes}, separators=(",", ":"), ensure_ascii=False).encode()

    def resigned_header(text: bytes) -> bytes:
        return assemble(replace_header(head, text), summary_ct, body, BIDDER)

    def summary_made_with(plaintext: bytes) -> bytes:
        ct = AESGCM(summary_key(data_key)).encrypt(
            bytes(12), plaintext, hashlib.sha256(head).digest()
        )
        return assemble(head, ct, body, BIDDER)

    nonce_text = header["nonce_prefix"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused_bits = nonce_text[:-1] + alphabet[alphabet.index(nonce_text[-1]) ^ 1]
    off_curve = bytearray(b64u_decode(header["recipient_key"]))
    off_curve[-1] ^= 1
    whole_sealed = b64u_decode(whole["sealed"])
    w_head, w_summary, w_body, _ = split(whole_sealed)
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    wrapped = bytearray(b64u_decode(header["wrapped_key"]))
    wrapped[-1] ^= 1
    enc_off_curve = bytearray(b64u_decode(header["wrapped_key"]))
    enc_off_curve[64] ^= 1  # the last byte of Y
    enc_compressed = bytearray(b64u_decode(header["wrapped_key"]))
    enc_compressed[0] = 0x02
    for bad_enc in (enc_off_curve, enc_compressed):
        _require_not_a_point(bytes(bad_enc[:65]))

    read: list[tuple[str, str, Callable[[], bytes]]] = [
        ("empty-file", "no bytes", lambda: b""),
        ("flipped-magic", "magic is not BIDSEAL", lambda: flip(sealed, 0)),
        ("version-2", "byte 7 is 2", lambda: sealed[:7] + b"\x02" + sealed[8:]),
        ("header-len-zero", "header_len 0", lambda: sealed[:8] + bytes(4) + sealed[12:]),
        (
            "header-len-too-big",
            "header_len 65537",
            lambda: sealed[:8] + struct.pack(">I", 65537) + sealed[12:],
        ),
        ("flipped-header", "header byte changed, signature not remade", lambda: flip(sealed, 20)),
        (
            "flipped-summary",
            "summary byte changed, signature not remade",
            lambda: flip(sealed, len(head) + 10),
        ),
        (
            "flipped-chunk",
            "chunk 1 changed, signature not remade",
            lambda: flip(sealed, len(sealed) - SIGNATURE_LEN - len(body) + full + 5),
        ),
        ("flipped-signature", "signature byte changed", lambda: flip(sealed, len(sealed) - 3)),
        (
            "signed-by-another-key",
            "valid signature by a key other than signer_key",
            lambda: assemble(head, summary_ct, body, OTHER_BIDDER),
        ),
        ("signature-r-zero", "r = 0", lambda: sealed[:-64] + bytes(32) + sealed[-32:]),
        ("signature-s-order", "s = n", lambda: sealed[:-32] + order.to_bytes(32, "big")),
        ("truncated-by-one", "last byte missing", lambda: sealed[:-1]),
        ("truncated-to-header", "nothing after the header", lambda: head),
        ("byte-appended", "one byte after the signature", lambda: sealed + b"\x00"),
        (
            "cut-at-chunk-boundary",
            "body cut after chunk 1, signature kept",
            lambda: sealed[: len(sealed) - SIGNATURE_LEN - len(body) + full] + signature,
        ),
        (
            "summary-len-15",
            "summary_len below 16",
            lambda: head + struct.pack(">I", 15) + sealed[len(head) + 4 :],
        ),
        (
            "resigned-last-chunk-15-bytes",
            "re-signed; last chunk shorter than a tag",
            lambda: assemble(
                head, summary_ct, body[: len(body) - (len(body) - 3 * full) + 15], BIDDER
            ),
        ),
        (
            "resigned-header-extra-member",
            "re-signed; header has a member more",
            lambda: resigned_header(header_with(note="x")),
        ),
        (
            "resigned-header-missing-member",
            "re-signed; no lot",
            lambda: resigned_header(
                json.dumps(
                    {k: v for k, v in header.items() if k != "lot"},
                    separators=(",", ":"),
                    ensure_ascii=False,
                ).encode()
            ),
        ),
        (
            "resigned-header-duplicate-member",
            "re-signed; tender twice",
            lambda: resigned_header(
                header_text.replace('"lot":', '"tender":"ZB-2026-0002","lot":', 1).encode()
            ),
        ),
        (
            "resigned-header-float-version",
            "re-signed; v is 1.0",
            lambda: resigned_header(header_text.replace('"v":1', '"v":1.0', 1).encode()),
        ),
        (
            "resigned-header-exponent-chunk-size",
            "re-signed; chunk_size 64e0",
            lambda: resigned_header(
                header_text.replace('"chunk_size":64', '"chunk_size":64e0', 1).encode()
            ),
        ),
        (
            "resigned-header-chunk-size-63",
            "re-signed; chunk_size below 64",
            lambda: resigned_header(header_with(chunk_size=63)),
        ),
        (
            "resigned-header-lone-surrogate",
            "re-signed; lot has an unpaired \\ud800 escape",
            lambda: resigned_header(header_text.replace('"lot":"', '"lot":"\\ud800', 1).encode()),
        ),
        (
            "resigned-header-rehearsal-tender",
            "re-signed; tender is the reserved rehearsal",
            lambda: resigned_header(header_with(tender="rehearsal")),
        ),
        (
            "resigned-header-padded-b64u",
            "re-signed; nonce_prefix with = padding",
            lambda: resigned_header(header_with(nonce_prefix=nonce_text + "==")),
        ),
        (
            "resigned-header-b64u-unused-bits",
            "re-signed; nonce_prefix with non-zero unused bits",
            lambda: resigned_header(header_with(nonce_prefix=unused_bits)),
        ),
        (
            "resigned-header-point-off-curve",
            "re-signed; recipient_key not on P-256",
            lambda: resigned_header(header_with(recipient_key=b64u_encode(bytes(off_curve)))),
        ),
        (
            "resigned-header-enc-off-curve",
            "re-signed; the HPKE enc in wrapped_key is not on P-256",
            lambda: resigned_header(header_with(wrapped_key=b64u_encode(bytes(enc_off_curve)))),
        ),
        (
            "resigned-header-enc-compressed",
            "re-signed; the HPKE enc in wrapped_key starts with 0x02",
            lambda: resigned_header(header_with(wrapped_key=b64u_encode(bytes(enc_compressed)))),
        ),
        (
            "resigned-empty-last-chunk",
            "re-signed; whole-chunk document with every tag valid, ending in an empty chunk",
            lambda: empty_last_chunk(whole),
        ),
        (
            "resigned-header-byte-order-mark",
            "re-signed; header starts with EF BB BF",
            lambda: resigned_header(b"\xef\xbb\xbf" + head[PREAMBLE_LEN:]),
        ),
        (
            "resigned-header-nan-chunk-size",
            "re-signed; chunk_size is NaN (not JSON)",
            lambda: resigned_header(
                header_text.replace('"chunk_size":64', '"chunk_size":NaN', 1).encode()
            ),
        ),
        (
            "resigned-header-trailing-garbage",
            "re-signed; an x after the header object",
            lambda: resigned_header(head[PREAMBLE_LEN:] + b"x"),
        ),
        (
            "resigned-header-not-utf8",
            "re-signed; lot holds the byte FF",
            lambda: resigned_header(header_text.encode().replace(b'"lot":"', b'"lot":"\xff', 1)),
        ),
        (
            "resigned-header-suite",
            "re-signed; unknown suite",
            lambda: resigned_header(header_with(suite="P256-SHA256-CHACHA20POLY1305")),
        ),
    ]
    opened: list[tuple[str, str, Callable[[], bytes]]] = [
        (
            "resigned-flipped-summary",
            "re-signed; summary tag fails",
            lambda: assemble(head, flip(summary_ct, 0), body, BIDDER),
        ),
        (
            "resigned-flipped-chunk",
            "re-signed; tag of chunk 1 fails",
            lambda: assemble(head, summary_ct, flip(body, full + 5), BIDDER),
        ),
        (
            "resigned-chunks-swapped",
            "re-signed; chunks 0 and 1 swapped",
            lambda: assemble(
                head, summary_ct, body[full : 2 * full] + body[:full] + body[2 * full :], BIDDER
            ),
        ),
        (
            "resigned-last-chunk-dropped",
            "re-signed; whole-chunk document without its last chunk",
            lambda: assemble(w_head, w_summary, w_body[: -(128 + TAG_LEN)], BIDDER),
        ),
        (
            "resigned-chunk-appended",
            "re-signed; whole-chunk document with chunk 0 appended",
            lambda: assemble(w_head, w_summary, w_body + w_body[: 128 + TAG_LEN], BIDDER),
        ),
        (
            "resigned-header-respaced",
            "re-signed; same header values with spaces: header_hash changes",
            lambda: resigned_header(json.dumps(header, ensure_ascii=False).encode()),
        ),
        (
            "resigned-other-tender",
            "re-signed; tender relabelled, HPKE info differs",
            lambda: resigned_header(header_with(tender="ZB-2026-0002")),
        ),
        (
            "resigned-other-bidder",
            "re-signed; bidder relabelled, HPKE info differs",
            lambda: resigned_header(header_with(bidder="另一家公司")),
        ),
        (
            "resigned-wrapped-key-flipped",
            "re-signed; HPKE tag fails",
            lambda: resigned_header(header_with(wrapped_key=b64u_encode(bytes(wrapped)))),
        ),
        (
            "resigned-summary-duplicate-item",
            "re-signed; summary made with the data key has price twice",
            lambda: summary_made_with(b'{"items":{"price":"1","price":"2"}}'),
        ),
        (
            "resigned-summary-number-item",
            "re-signed; summary item is a JSON number",
            lambda: summary_made_with(b'{"items":{"price":1}}'),
        ),
        (
            "resigned-summary-lone-surrogate",
            "re-signed; summary item has an unpaired surrogate",
            lambda: summary_made_with(b'{"items":{"price":"\\udc00"}}'),
        ),
        (
            "resigned-summary-no-items",
            "re-signed; summary without items",
            lambda: summary_made_with(b'{"document":{"name":"a"}}'),
        ),
    ]
    rows = []
    for stage, table in (("read", read), ("open", opened)):
        for name, reason, make in table:
            rows.append(
                {"name": name, "fails_at": stage, "reason": reason, "sealed": b64u_encode(make())}
            )
    return rows


# --- key file and signed documents -------------------------------------------------


def key_file_vector() -> dict[str, Any]:
    passphrase = unicodedata.normalize("NFD", "向量口令 café")  # NFC-normalised before use
    salt, nonce = random_bytes("key file salt", 16), random_bytes("key file nonce", 12)
    data = encrypt_key_file(BIDDER, passphrase, iterations=1000, salt=salt, nonce=nonce)
    enc_scalar, sig_scalar = BIDDER.scalars()
    return {
        "passphrase": passphrase,
        "passphrase_nfc_utf8": unicodedata.normalize("NFC", passphrase).encode().hex(),
        "key_file": data.decode("utf-8"),
        "encryption_private": enc_scalar.hex(),
        "signing_private": sig_scalar.hex(),
        "public_bundle": json.loads(BIDDER.public.to_json()),
        "bidder_key_id": BIDDER.key_id,
        "wrong_passphrases": [unicodedata.normalize("NFC", passphrase) + " ", "向量口令 cafe"],
        "variants": key_file_variants(json.loads(data)),
    }


def _unused_bits_set(text: str) -> str:
    """The same b64u value with a non-zero unused low bit in its last character."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spelled = text[:-1] + alphabet[alphabet.index(text[-1]) ^ 1]
    try:
        b64u_decode(spelled)
    except ValueError:
        return spelled
    raise AssertionError("meant to be a non-canonical spelling")


def key_file_variants(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The key file with one change each, and whether it still opens with the passphrase."""
    kdf, cipher = document["kdf"], document["cipher"]
    changes: list[tuple[str, str, bool, dict[str, Any]]] = [
        ("extra-member", "a member more at the top level is ignored", True, {"label": "x"}),
        ("extra-kdf-member", "kdf has a member more", False, {"kdf": {**kdf, "pepper": "x"}}),
        (
            "extra-cipher-member",
            "cipher has a member more",
            False,
            {"cipher": {**cipher, "tag_length": 16}},
        ),
        ("padded-salt", "salt with = padding", False, {"kdf": {**kdf, "salt": kdf["salt"] + "=="}}),
        (
            "salt-unused-bits",
            "salt with non-zero unused bits",
            False,
            {"kdf": {**kdf, "salt": _unused_bits_set(kdf["salt"])}},
        ),
        (
            "encryption-key-unused-bits",
            "encryption_key with non-zero unused bits",
            False,
            {"encryption_key": _unused_bits_set(document["encryption_key"])},
        ),
        (
            "ciphertext-plus-sign",
            "ciphertext starts with +, of base64 but not of base64url",
            False,
            {"ciphertext": "+" + document["ciphertext"][1:]},
        ),
    ]
    return [
        {
            "name": name,
            "reason": reason,
            "opens": opens,
            "key_file": json.dumps({**document, **change}, ensure_ascii=False, indent=1) + "\n",
        }
        for name, reason, opens, change in changes
    ]


def signed_vector() -> dict[str, Any]:
    payload = {
        "tender": CONTEXT.tender,
        "lot": CONTEXT.lot,
        "bidder": CONTEXT.bidder,
        "bid_sha256": hashlib.sha256(b"example").hexdigest(),
        "size": 123456,
        "received_at": "2026-11-27T01:02:03.123456Z",
        "receipt_no": 17,
    }
    envelope = sign_document("receipt", payload, SERVER)
    # sign_document draws a random k; re-sign deterministically so the vector is stable.
    message = signed_message("receipt", envelope["payload"])
    envelope["signature"] = b64u_encode(sign_raw(SERVER.private, message, deterministic=True))
    challenge = {"challenge": "c-8f14e45f", "audience": "https://bidopen.example.cn"}
    rehearsal_key = random_bytes("rehearsal key", 32)
    rehearsal_info = hpke_info(rehearsal_context("challenge-42", CONTEXT.bidder))
    rehearsal = hpke_seal_with_ephemeral(
        BIDDER.public.encryption_key, rehearsal_info, rehearsal_key, scalar("rehearsal ephemeral")
    )
    check_with_cryptography(rehearsal["wrapped"], BIDDER, rehearsal_info, rehearsal_key)
    return {
        "server_private": SERVER.private.private_numbers().private_value.to_bytes(32, "big").hex(),
        "server_public": b64u_encode(SERVER.public_key),
        "receipt": {"envelope": envelope, "payload": payload, "signed_message": message.hex()},
        "bad_receipts": [
            {
                "name": "payload-changed",
                "envelope": {**envelope, "payload": envelope["payload"].replace("17", "18")},
            },
            {"name": "type-changed", "envelope": {**envelope, "type": "withdrawal"}},
            {
                "name": "other-key",
                "envelope": {
                    **envelope,
                    "key": b64u_encode(point_of(OTHER_BIDDER.signing_private)),
                },
            },
        ],
        "challenge": {
            **challenge,
            "message": challenge_message(challenge["challenge"], challenge["audience"]).hex(),
            "signing_key": b64u_encode(BIDDER.public.signing_key),
            "signature": b64u_encode(
                sign_raw(
                    BIDDER.signing_private,
                    challenge_message(challenge["challenge"], challenge["audience"]),
                    deterministic=True,
                )
            ),
        },
        "rehearsal": {
            "challenge_id": "challenge-42",
            "bidder": CONTEXT.bidder,
            "info": rehearsal_info.hex(),
            "ephemeral_private": scalar("rehearsal ephemeral").hex(),
            "envelope": b64u_encode(rehearsal["wrapped"]),
            "key": rehearsal_key.hex(),
        },
    }


def build() -> dict[Path, str]:
    """The text of every vector file."""
    keys = {
        "encryption_private": BIDDER.scalars()[0].hex(),
        "signing_private": BIDDER.scalars()[1].hex(),
        "encryption_key": b64u_encode(BIDDER.public.encryption_key),
        "signing_key": b64u_encode(BIDDER.public.signing_key),
        "bidder_key_id": BIDDER.key_id,
    }
    sealed = [seal_case(case) for case in CASES]
    by_name = {v["name"]: v for v in sealed}
    invalid = invalid_cases(by_name["several-chunks-short-last"], by_name["whole-chunks"])
    files = {
        SEALED_FILE: {
            "format": VECTOR_FORMAT,
            "description": SEALED_DESCRIPTION,
            "summary": SUMMARY,
            "keys": keys,
            "vectors": sealed,
        },
        INVALID_FILE: {
            "format": VECTOR_FORMAT,
            "description": INVALID_DESCRIPTION,
            "keys": keys,
            "vectors": invalid,
        },
        KEY_FILE: {"format": VECTOR_FORMAT, **key_file_vector()},
        SIGNED_FILE: {"format": VECTOR_FORMAT, **signed_vector()},
    }
    return {
        path: json.dumps(value, ensure_ascii=False, indent=1) + "\n"
        for path, value in files.items()
    }


def write_files(files: Mapping[Path, str]) -> int:
    """Write generated vector files and name them; the exit status of a generator script."""
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(write_files(build()))
