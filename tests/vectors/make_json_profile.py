"""Write json-profile-v1.json: JSON corner cases that every reader must accept or refuse alike.

Run from the repository root: ``python tests/vectors/make_json_profile.py``.
Each case is a fragment put in a member ``"x"`` of every JSON text the format
has (docs/sealed-bid-format.md section 0.1): a bare object, a sealed summary,
a signed receipt payload, a private key file and a public key bundle, each
made valid in every other respect (re-signed, encrypted with the right keys),
so that the JSON profile alone decides. The Python tests
(tests/crypto/test_bidseal_json_profile.py) and the node tests
(client_web/test/json-profile.test.mjs) load the same file.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import make_vectors as base  # noqa: E402  (a sibling script, not a package)

from bidseal.codec import b64u_decode, b64u_encode, canonical_json  # noqa: E402
from bidseal.format import summary_key  # noqa: E402
from bidseal.p256 import sign_raw  # noqa: E402
from bidseal.signed import SIGNED_FORMAT, signed_message  # noqa: E402
from bidseal.strictjson import MAX_DEPTH  # noqa: E402

PROFILE_FILE = HERE / "json-profile-v1.json"
DESCRIPTION = (
    "JSON texts every reader must accept or refuse alike (format section 0.1). Each case puts"
    " its fragment in a member x of: text (a bare object), sealed (the summary of a re-signed"
    " sealed file; open it with data_key), receipt (a signed payload; null when the bytes are"
    " not UTF-8, as a payload is a string), key_file (opens with passphrase) and public_bundle."
    " accepted: the outcome everywhere but the key file; integers_only_accepted: the key file's"
    " (and the header's) outcome, where no number may have a fraction or exponent. value: what"
    " text parses to, when accepted (-0.0 is the double -0); canonical: its canonical JSON"
    " (section 0.2), null when it holds a number that is not an integer. Byte strings are b64u."
)


class Case(NamedTuple):
    name: str
    reason: str
    fragment: bytes
    accepted: bool
    fraction: bool = False  # holds a number with a fraction or exponent
    prefix: bytes = b""
    suffix: bytes = b""


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


CASES = [
    # Accepted: the boundaries of the profile, and values JSON.parse and json.loads agree on.
    Case("plain-object", "an ordinary value", b'{"a":[1,"b",true,false,null]}', True),
    Case("max-safe-integer", "2**53 - 1", b"9007199254740991", True),
    Case("min-safe-integer", "-(2**53 - 1)", b"-9007199254740991", True),
    Case("minus-zero", "-0 is the integer 0 (JavaScript too); written 0", b"-0", True),
    Case("minus-zero-fraction", "-0.0 is the double -0", b"-0.0", True, fraction=True),
    Case("minus-zero-exponent", "-0e0 is the double -0", b"-0e0", True, fraction=True),
    Case("underflow-negative", "-1e-400 rounds to the double -0", b"-1e-400", True, True),
    Case("fraction", "a finite double", b"1.5", True, fraction=True),
    Case("exponent", "1E+2 is 100", b"1E+2", True, fraction=True),
    Case("largest-double", "1.7976931348623157e308", b"1.7976931348623157e308", True, True),
    Case("underflow", "1e-400 rounds to zero, which is finite", b"1e-400", True, fraction=True),
    Case(
        "long-fraction",
        "500 digits after the point (a reader must not cut a number short)",
        b"0." + b"3" * 500,
        True,
        fraction=True,
    ),
    Case("depth-at-limit", f"{MAX_DEPTH} nested arrays and objects", nested(MAX_DEPTH - 1), True),
    Case("surrogate-pair-escape", "\\ud83d\\ude00 is one code point", b'"\\ud83d\\ude00"', True),
    Case("astral-utf8", "a 4-byte UTF-8 character", '"𠀀"'.encode(), True),
    Case("escaped-nul", "\\u0000 is an ordinary character", b'"\\u0000"', True),
    Case("line-separator", "U+2028 raw inside a string", '"\u2028"'.encode(), True),
    Case("noncharacter", "U+FFFF is valid UTF-8", '"\uffff"'.encode(), True),
    Case("proto-name", "a member named __proto__ is a member", b'{"__proto__":1}', True),
    Case("whitespace", "the four JSON whitespace characters", b" \t\r\n1 \t\r\n", True),
    Case("trailing-whitespace", "whitespace after the value", b"1", True, suffix=b" \n\t\r"),
    # Refused: not JSON, or JSON that readers would read differently.
    Case("nan", "NaN is not JSON", b"NaN", False),
    Case("infinity", "Infinity is not JSON", b"Infinity", False),
    Case("minus-infinity", "-Infinity is not JSON", b"-Infinity", False),
    Case("overflow", "1e400 is not a finite double", b"1e400", False, fraction=True),
    Case("negative-overflow", "-1e400 is not a finite double", b"-1e400", False, fraction=True),
    Case("integer-2-53", "2**53 is beyond the safe integers", b"9007199254740992", False),
    Case("integer-minus-2-53", "-(2**53) is beyond the safe integers", b"-9007199254740992", False),
    Case("integer-400-digits", "an integer JavaScript would round", b"1" * 400, False),
    Case("depth-beyond-limit", f"{MAX_DEPTH + 1} nested arrays", nested(MAX_DEPTH), False),
    Case("depth-5000", "deep enough for RecursionError in json.loads", b"[" * 5000, False),
    Case("lone-high-surrogate", "\\ud800 alone", b'"\\ud800"', False),
    Case("lone-low-surrogate", "\\udc00 alone", b'"\\udc00"', False),
    Case("reversed-pair", "\\udc00\\ud800", b'"\\udc00\\ud800"', False),
    Case("lone-surrogate-name", "a member name with \\ud800", b'{"\\ud800":1}', False),
    Case("lone-surrogate-in-array", "\\udfff inside an array", b'["a","\\udfff"]', False),
    Case("duplicate-name", "a twice", b'{"a":1,"a":2}', False),
    Case(
        "duplicate-escaped-name", "a and \\u0061 are the same name", b'{"a":1,"\\u0061":2}', False
    ),
    Case("byte-order-mark", "EF BB BF before the text", b"1", False, prefix=b"\xef\xbb\xbf"),
    Case("inner-byte-order-mark", "U+FEFF is not whitespace", "\ufeff1".encode(), False),
    Case("no-break-space", "U+00A0 is not whitespace", "\u00a01".encode(), False),
    Case("invalid-utf8", "the byte FF", b'"\xff"', False),
    Case("overlong-utf8", "C0 AF, an overlong /", b'"\xc0\xaf"', False),
    Case("encoded-surrogate", "ED A0 80, a surrogate in UTF-8 form", b'"\xed\xa0\x80"', False),
    Case("truncated-utf8", "the first two bytes of a 3-byte character", b'"\xe4\xb8"', False),
    Case("raw-control", "U+0001 raw inside a string", b'"\x01"', False),
    Case("bad-escape", "\\x41 is no JSON escape", b'"\\x41"', False),
    Case("short-unicode-escape", "\\u12", b'"\\u12"', False),
    Case("trailing-garbage", "x after the text", b"1", False, suffix=b"x"),
    Case("second-value", "a second JSON text", b"1", False, suffix=b" {}"),
    Case("trailing-nul", "a NUL byte after the text", b"1", False, suffix=b"\x00"),
    Case("single-quotes", "'a'", b"'a'", False),
    Case("trailing-comma", "[1,]", b"[1,]", False),
    Case("comment", "/* */", b"/**/1", False),
    Case("plus-sign", "+1", b"+1", False),
    Case("leading-zero", "01", b"01", False),
    Case("hex-number", "0x10", b"0x10", False),
    Case("bare-fraction", ".5", b".5", False),
    Case("bare-point", "1.", b"1.", False),
    Case("python-true", "True", b"True", False),
]


def _framed(case: Case, rest: bytes) -> bytes:
    """``{"x":FRAGMENT`` followed by the rest of an object (``}`` or ``,...}``)."""
    return case.prefix + b'{"x":' + case.fragment + rest + case.suffix


def _receipt(case: Case) -> dict[str, str] | None:
    try:
        payload = _framed(case, b',"receipt_no":17}').decode("utf-8")
    except UnicodeDecodeError:
        return None
    signature = sign_raw(
        base.SERVER.private, signed_message("receipt", payload), deterministic=True
    )
    return {
        "format": SIGNED_FORMAT,
        "type": "receipt",
        "payload": payload,
        "signature": b64u_encode(signature),
        "key": b64u_encode(base.SERVER.public_key),
    }


def _value(case: Case) -> Any:
    if not case.accepted:
        return None
    return json.loads(_framed(case, b"}"))


def _canonical(case: Case) -> str | None:
    """The canonical JSON (section 0.2) of an accepted text; none when it holds a non-integer."""
    if not case.accepted or case.fraction:
        return None
    return canonical_json(_value(case))


def build() -> dict[Path, str]:
    """The text of json-profile-v1.json."""
    valid = base.seal_case(next(c for c in base.CASES if c["name"] == "several-chunks-short-last"))
    sealed = b64u_decode(valid["sealed"])
    data_key = bytes.fromhex(valid["data_key"])
    head, _, body, _ = base.split(sealed)
    key_file = base.key_file_vector()
    key_file_rest = b"," + key_file["key_file"].encode()[1:]
    bundle_rest = b"," + base.BIDDER.public.to_json().encode()[1:]

    def sealed_with_summary(plaintext: bytes) -> str:
        ct = AESGCM(summary_key(data_key)).encrypt(
            bytes(12), plaintext, hashlib.sha256(head).digest()
        )
        return b64u_encode(base.assemble(head, ct, body, base.BIDDER))

    cases = [
        {
            "name": case.name,
            "reason": case.reason,
            "accepted": case.accepted,
            "integers_only_accepted": case.accepted and not case.fraction,
            "value": _value(case),
            "canonical": _canonical(case),
            "text": b64u_encode(_framed(case, b"}")),
            "sealed": sealed_with_summary(_framed(case, b',"items":{"price":"1"}}')),
            "receipt": _receipt(case),
            "key_file": b64u_encode(_framed(case, key_file_rest)),
            "public_bundle": b64u_encode(_framed(case, bundle_rest)),
        }
        for case in CASES
    ]
    document = {
        "format": base.VECTOR_FORMAT,
        "description": DESCRIPTION,
        "max_depth": MAX_DEPTH,
        "keys": {
            "encryption_private": base.BIDDER.scalars()[0].hex(),
            "signing_private": base.BIDDER.scalars()[1].hex(),
        },
        "data_key": data_key.hex(),
        "passphrase": key_file["passphrase"],
        "server_public": b64u_encode(base.SERVER.public_key),
        "cases": cases,
    }
    return {PROFILE_FILE: json.dumps(document, ensure_ascii=False, indent=1) + "\n"}


if __name__ == "__main__":
    sys.exit(base.write_files(build()))
