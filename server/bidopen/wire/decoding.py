"""Reading JSON into its declaration: size and depth limits, and errors that name the field."""

from __future__ import annotations

import re
from functools import cache
from itertools import accumulate
from typing import Any, TypeVar

import msgspec

from bidopen.errors import HubError

MAX_JSON_BYTES = 256 * 1024
# Far deeper than any body the hub declares (three levels), far shallower than the
# recursion that a decoder or a later json.dumps would overflow on.
MAX_JSON_DEPTH = 32

BodyT = TypeVar("BodyT", bound=msgspec.Struct)

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")
_PIECE = 4096
_STEP = [0] * 256
_STEP[ord("[")], _STEP[ord("]")] = 1, -1
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_NAMED = re.compile(r"(?:missing required|contains unknown) field `(?P<name>[^`]+)`")


def nested_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (brackets in strings aside).

    Each step runs in C (count, regex, translate, find, map, accumulate, max), piece by
    piece so that a deep body is refused at its first levels: at most about 16 ms of CPU
    for 256 KiB of brackets, next to nothing for a body with few.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(_ONE_KIND, _NOT_BRACKETS)
    if b"[" * (limit + 1) in brackets:
        return True  # that many openers in a row are that many levels
    depth = 0
    for start in range(0, len(brackets), _PIECE):
        piece = brackets[start : start + _PIECE]
        levels = list(accumulate(map(_STEP.__getitem__, piece), initial=depth))
        if max(levels) > limit:
            return True
        depth = levels[-1]
    return False


@cache
def _decoder(schema: type[Any]) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(schema)


def decode_body(raw: bytes, schema: type[BodyT]) -> BodyT:
    """A body read into its declaration; an empty body reads as `{}`."""
    if len(raw) > MAX_JSON_BYTES:
        raise HubError("message_too_large", f"JSON bodies are limited to {MAX_JSON_BYTES} bytes.")
    if nested_deeper_than(raw, MAX_JSON_DEPTH):
        raise HubError("nesting_too_deep", f"At most {MAX_JSON_DEPTH} levels.")
    try:
        return _decoder(schema).decode(raw.strip() or b"{}")  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from None
    except msgspec.DecodeError as exc:
        raise HubError("bad_request", f"The body is not valid JSON: {exc}") from None
    except RecursionError:
        raise HubError("nesting_too_deep") from None


def convert(data: object, schema: type[BodyT], *, at: str = "") -> BodyT:
    """Already-decoded data (a socket message) read into its declaration."""
    try:
        return msgspec.convert(data, schema)
    except msgspec.ValidationError as exc:
        raise validation_error(exc, prefix=at) from None


def validation_error(exc: msgspec.ValidationError, *, prefix: str = "") -> HubError:
    """`validation_failed` naming the field, from msgspec's message."""
    text = str(exc)
    found = _AT.search(text)
    path = found.group("path") if found else ""
    named = _NAMED.search(text)
    if named:
        path = f"{path}.{named.group('name')}"
    field = (prefix + path).lstrip(".")
    reason = text[: found.start()] if found else text
    return HubError(
        "validation_failed",
        f"{field or 'body'}: {reason}",
        None if field else "（请求体）",
        field=field or None,
    )
