"""Types of read-out items: what a sealed value may be, and how an amount is written out.

One module for the sealing CLI, the hub (which classifies a summary that breaks its types
at decryption) and the documents; the browser has its twin in
`client_web/static/js/readout-values.js`, and both pass
`tests/vectors/readout/readout-values-v1.json`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "MAX_TEXT_ITEM_LENGTH",
    "ItemType",
    "amount_in_capitals",
    "conforms",
    "exceeds_ceiling",
    "format_amount",
    "normalize",
    "reason",
    "typed_items",
]

# Below one trillion yuan: every amount then has a 大写 spelling with 亿 as the largest unit.
MAX_AMOUNT_DIGITS = 12
MAX_TEXT_ITEM_LENGTH = 200


class ItemType(StrEnum):
    AMOUNT = "amount"  # yuan with two decimals: 8650000.00
    DAYS = "days"  # whole days: 180
    PERCENT = "percent"  # 0 to 100 with at most two decimals: 97.5
    TEXT = "text"  # one line of at most `max_length` characters


# The sealed (canonical) spelling of each type; only these are read out.
_CANONICAL = {
    ItemType.AMOUNT: re.compile(r"(0|[1-9][0-9]{0,11})\.[0-9]{2}"),
    ItemType.DAYS: re.compile(r"0|[1-9][0-9]{0,5}"),
    ItemType.PERCENT: re.compile(r"(0|[1-9][0-9]?|100)(\.[0-9]{1,2})?"),
}
# What a bidder may type: the canonical form, or an amount with fewer decimals.
_TYPED_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Reasons are codes the pages translate; the CLI prints the English line.
REASONS = {
    "not_amount": "an amount in yuan, digits with at most two decimals (8650000.00)",
    "not_days": "whole days, digits only (180)",
    "not_percent": "a percentage from 0 to 100 with at most two decimals (97.5)",
    "not_text": "one line of text, not blank",
    "too_long": "text within the item's maximum length",
}


def normalize(item_type: ItemType, text: str, *, max_length: int = MAX_TEXT_ITEM_LENGTH) -> str:
    """The value to seal for what a bidder typed; ValueError(reason code) if not of its type.

    Only an amount is rewritten (to two decimals); nothing else is guessed: `三百二十万`,
    `8,650,000` and `-1` are refused, never read out as typed.
    """
    if item_type is ItemType.AMOUNT:
        if not _TYPED_AMOUNT.fullmatch(text):
            raise ValueError("not_amount")
        return f"{Decimal(text):.2f}"
    if not conforms(item_type, text, max_length=max_length):
        raise ValueError(_reason(item_type, text, max_length))
    return text


def conforms(item_type: ItemType, value: str, *, max_length: int = MAX_TEXT_ITEM_LENGTH) -> bool:
    """Whether a sealed value is in the canonical spelling of its type."""
    if item_type is ItemType.TEXT:
        return bool(value.strip()) and not _CONTROL.search(value) and len(value) <= max_length
    if item_type is ItemType.PERCENT and _CANONICAL[item_type].fullmatch(value):
        return Decimal(value) <= 100
    return _CANONICAL[item_type].fullmatch(value) is not None


def _reason(item_type: ItemType, value: str, max_length: int) -> str:
    if item_type is ItemType.TEXT:
        return "too_long" if len(value) > max_length and value.strip() else "not_text"
    return f"not_{item_type.value}"


def reason(item_type: ItemType, value: str, *, max_length: int = MAX_TEXT_ITEM_LENGTH) -> str:
    """The reason code a sealed value breaks its type with ('' if it conforms)."""
    if conforms(item_type, value, max_length=max_length):
        return ""
    return _reason(item_type, value, max_length)


def exceeds_ceiling(amount: str, ceiling: str | None) -> bool:
    """Whether a canonical amount is above the lot's ceiling (最高投标限价)."""
    return ceiling is not None and Decimal(amount) > Decimal(ceiling)


def format_amount(amount: str) -> str:
    """A canonical amount with thousands separators: 8650000.00 -> 8,650,000.00."""
    whole, cents = amount.split(".")
    return f"{int(whole):,}.{cents}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")
_GROUPS = ("亿", "万", "")


def amount_in_capitals(amount: str) -> str:
    """A canonical amount in Chinese capitals (大写): 8650000.00 -> 捌佰陆拾伍万元整."""
    whole, cents = amount.split(".")
    digits = whole.rjust(MAX_AMOUNT_DIGITS, "0")
    out: list[str] = []
    zero_pending = False
    for group_index, unit in enumerate(_GROUPS):
        group = digits[group_index * 4 : group_index * 4 + 4]
        for place, digit in zip(_PLACES, group, strict=True):
            if digit == "0":
                zero_pending = bool(out)
                continue
            if zero_pending:
                out.append("零")
                zero_pending = False
            out.append(_DIGITS[int(digit)] + place)
        if int(group):
            # Zeros that end a group before its unit are not spoken: 壹佰万柒仟, not 壹佰万零柒仟.
            out.append(unit)
            zero_pending = False
    jiao, fen = int(cents[0]), int(cents[1])
    if out:
        out.append("元")
    if not jiao and not fen:
        return ("".join(out) or "零元") + "整"
    if jiao:
        out.append(_DIGITS[jiao] + "角")
    elif out:
        out.append("零")
    if fen:
        out.append(_DIGITS[fen] + "分")
    else:
        out.append("整")
    return "".join(out)


def typed_items(
    spec: Sequence[Mapping[str, object]], values: Mapping[str, object]
) -> dict[str, str]:
    """The values to seal for a tender's read-out items (`readout_items` of its description).

    ValueError naming the first item whose value is missing or not of its type; a value
    for an item the tender does not read out is refused too, as it would never be read.
    """
    known = {str(item["key"]) for item in spec}
    for key in values:
        if key not in known:
            raise ValueError(f"{key}: the tender has no read-out item {key!r}")
    out: dict[str, str] = {}
    for item in spec:
        key, label = str(item["key"]), str(item.get("label_zh", item["key"]))
        kind = ItemType(str(item.get("type", ItemType.TEXT)))
        limit = item.get("max_length", MAX_TEXT_ITEM_LENGTH)
        max_length = limit if isinstance(limit, int) else MAX_TEXT_ITEM_LENGTH
        value = values.get(key)
        if not isinstance(value, str):
            raise ValueError(f"{key} ({label}): a value is needed, as text")
        try:
            out[key] = normalize(kind, value, max_length=max_length)
        except ValueError as error:
            raise ValueError(f"{key} ({label}): {value!r} is not {REASONS[str(error)]}") from None
    return out
