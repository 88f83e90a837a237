"""Strict text encodings shared by the formats: unpadded base64url and canonical JSON."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping

__all__ = ["b64u_decode", "b64u_encode", "canonical_json", "has_lone_surrogate"]

_B64U_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def b64u_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Decode unpadded base64url, accepting only the one canonical spelling of each value.

    Raises ValueError. Rejecting padding, foreign characters and non-zero
    trailing bits means that two different strings never decode to the same
    bytes, so a signed text cannot be re-spelled by a third party.
    """
    if not isinstance(text, str) or _B64U_ALPHABET.fullmatch(text) is None or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not unpadded base64url") from exc
    if b64u_encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


def canonical_json(value: Mapping[str, object], *, sort_keys: bool = False) -> str:
    """Compact JSON with non-ASCII kept as is; byte-identical to JavaScript's ``JSON.stringify``.

    Python's compact ``json.dumps`` with ``ensure_ascii=False`` escapes exactly
    what ``JSON.stringify`` escapes for well-formed strings, which is what lets
    both implementations produce the same bytes.
    """
    return json.dumps(
        value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys, allow_nan=False
    )


def has_lone_surrogate(text: str) -> bool:
    """True if ``text`` holds a surrogate code point, which no UTF-8 text can carry."""
    return _LONE_SURROGATE.search(text) is not None
