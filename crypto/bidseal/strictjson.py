"""The format's JSON profile (docs section 0.1): the one strict reader of every JSON text."""

from __future__ import annotations

import json
import math
import re
from functools import partial

from bidseal.codec import has_lone_surrogate

__all__ = ["MAX_DEPTH", "MAX_SAFE_INTEGER", "StrictJsonError", "read_json"]

# Arrays and objects nest at most this deep. The JavaScript reader has the same
# limit; without one, Python's parser raises RecursionError near depth 1000 and
# JavaScript's recursion fails at another depth, so the two would disagree.
MAX_DEPTH = 64
# The largest integer a JavaScript number (IEEE 754 double) holds exactly.
MAX_SAFE_INTEGER = 2**53 - 1
_MAX_INTEGER_CHARS = len(f"-{MAX_SAFE_INTEGER}")
# A JSON string (unterminated ones run to the end) or a bracket: enough to
# count nesting without parsing. Linear: the alternatives never overlap.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class StrictJsonError(ValueError):
    """The text is outside the JSON profile; the message says why, for tools, never for users."""


def _check_depth(text: str) -> None:
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        first = text[match.start()]
        if first in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise StrictJsonError(f"arrays and objects nest deeper than {MAX_DEPTH}")
        elif first in "]}":
            depth -= 1


def _unique_members(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # Parsers disagree on which of two equal names wins (JSON.parse keeps the last),
    # so a text whose meaning depends on the parser is refused.
    members = dict(pairs)
    if len(members) != len(pairs):
        raise StrictJsonError("duplicate member name")
    return members


def _refuse_constant(name: str) -> object:
    raise StrictJsonError(f"{name} is not JSON")


def _integer(text: str) -> int:
    # Beyond 2**53 a JavaScript reader rounds where Python keeps every digit.
    if len(text) <= _MAX_INTEGER_CHARS:
        value = int(text)
        if abs(value) <= MAX_SAFE_INTEGER:
            return value
    raise StrictJsonError(f"integer beyond ±{MAX_SAFE_INTEGER}")


def _fraction(integers_only: bool, text: str) -> float:
    if integers_only:
        # JavaScript reads 1.0 and 1e0 as the integer 1, Python as a float.
        raise StrictJsonError("number with a fraction or exponent where integers belong")
    value = float(text)
    if not math.isfinite(value):
        raise StrictJsonError("number too large for a double")
    return value


def _holds_lone_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return has_lone_surrogate(value)
    if isinstance(value, dict):
        return any(_holds_lone_surrogate(k) or _holds_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_lone_surrogate(item) for item in value)
    return False


def read_json(data: bytes | str, *, integers_only: bool = False) -> object:
    """Parse one JSON text of the profile; StrictJsonError (a ValueError) if it is outside it.

    The profile is RFC 8259 JSON that every reader maps to the same values:
    UTF-8 without a byte-order mark, no duplicate member names, no ``NaN`` or
    ``Infinity``, integers within ±(2**53 - 1), other numbers finite doubles
    (or none at all with ``integers_only``), no lone surrogates in any string,
    at most ``MAX_DEPTH`` nested arrays and objects, nothing after the value
    but whitespace.
    """
    if isinstance(data, str):
        text = data
    else:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StrictJsonError("not UTF-8") from exc
    if text.startswith("\ufeff"):
        raise StrictJsonError("starts with a byte-order mark")
    _check_depth(text)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_members,
            parse_constant=_refuse_constant,
            parse_int=_integer,
            parse_float=partial(_fraction, integers_only),
        )
    except StrictJsonError:
        raise
    except (ValueError, RecursionError) as exc:
        raise StrictJsonError(f"not JSON: {exc}") from exc
    if _holds_lone_surrogate(value):
        raise StrictJsonError("a string holds a lone surrogate")
    return value
