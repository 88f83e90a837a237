"""The release rule's shared vectors (tests/vectors/release) say what bidopen.client.release
decides; client_web/test/release-vectors.test.mjs holds the bidder room's rule to them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
sys.path.insert(0, str(VECTORS))

from make_release_vectors import OUT, decide, vectors  # noqa: E402

WRITTEN: dict[str, Any] = json.loads(OUT.read_text(encoding="utf-8"))


def test_the_file_is_what_the_script_writes() -> None:
    assert vectors() == WRITTEN


def test_every_refusal_code_of_the_rule_has_a_case() -> None:
    codes = {c["expect"].get("refused") for c in WRITTEN["cases"]} - {None}
    assert codes == {
        "before_deadline",
        "bid_replaced",
        "bid_withdrawn",
        "deadline_earlier",
        "document_invalid",
        "no_receipt",
        "not_this_bid",
        "notice_invalid",
        "notice_missing",
        "receipt_without_deadline",
    }
    assert sum("refused" not in c["expect"] for c in WRITTEN["cases"]) >= 5


@pytest.mark.parametrize("case", WRITTEN["cases"], ids=lambda c: c["name"])
def test_the_python_rule_decides_as_written(case: dict[str, Any]) -> None:
    given = {k: v for k, v in case.items() if k != "expect"}
    assert decide(given) == case["expect"]
