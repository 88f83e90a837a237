"""Read-out item types and amounts against the vectors the browser twin also passes."""

import json
from pathlib import Path

import pytest

from bidseal.readout import (
    ItemType,
    amount_in_capitals,
    conforms,
    exceeds_ceiling,
    format_amount,
    normalize,
    reason,
)

VECTORS = json.loads(
    (Path(__file__).parents[1] / "vectors" / "readout" / "readout-values-v1.json").read_text(
        "utf-8"
    )
)


@pytest.mark.parametrize("case", VECTORS["amounts"], ids=lambda case: case["amount"])
def test_amounts_match_vectors(case: dict[str, str]) -> None:
    assert format_amount(case["amount"]) == case["separated"]
    assert amount_in_capitals(case["amount"]) == case["capitals"]


@pytest.mark.parametrize("case", VECTORS["typed"], ids=lambda case: repr(case["input"]))
def test_typed_values_match_vectors(case: dict[str, str]) -> None:
    kind, max_length = ItemType(case["type"]), int(case["max_length"])
    if "refused" in case:
        with pytest.raises(ValueError, match=f"^{case['refused']}$"):
            normalize(kind, case["input"], max_length=max_length)
    else:
        assert normalize(kind, case["input"], max_length=max_length) == case["sealed"]
        assert conforms(kind, case["sealed"], max_length=max_length)


def test_the_examples_of_the_issue() -> None:
    assert amount_in_capitals("8650000.00") == "捌佰陆拾伍万元整"
    for typed in ("三百二十万", "8,650,000", "-1"):
        with pytest.raises(ValueError):
            normalize(ItemType.AMOUNT, typed)


def test_a_sealed_value_must_be_canonical() -> None:
    # A hand-made file may carry what the sealing tools would have rewritten.
    assert reason(ItemType.AMOUNT, "8650000") == "not_amount"
    assert reason(ItemType.DAYS, "180天") == "not_days"
    assert reason(ItemType.AMOUNT, "8650000.00") == ""


def test_ceiling() -> None:
    assert exceeds_ceiling("100.01", "100.00")
    assert not exceeds_ceiling("100.00", "100.00")
    assert not exceeds_ceiling("1.00", None)
