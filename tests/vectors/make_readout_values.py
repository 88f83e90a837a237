"""Writes readout-values-v1.json: how values of read-out items are typed and written out.

Run from the repository root: python tests/vectors/make_readout_values.py. The browser twin
(client_web/static/js/readout-values.js) is tested against the same file.
"""

import json
from pathlib import Path

from bidseal.readout import ItemType, amount_in_capitals, format_amount, normalize

AMOUNTS = [
    "0.00", "0.05", "0.50", "0.56", "1.00", "1.05", "3.20", "10.00", "101.00", "110.00",
    "1010.00", "200000.00", "1000500.00", "1007919.00", "3200000.00", "8650000.00",
    "10005000.00", "100000001.00", "100050000.00", "1000000000.00", "999999999999.99",
]  # fmt: skip
TYPED = [
    ("amount", "8650000", 0), ("amount", "8650000.5", 0), ("amount", "1007919.00", 0),
    ("amount", "0", 0), ("amount", "三百二十万", 0), ("amount", "8,650,000", 0),
    ("amount", "-1", 0), ("amount", "1.234", 0), ("amount", "007", 0), ("amount", "", 0),
    ("amount", " 100", 0), ("amount", "1e6", 0), ("amount", "1000000000000", 0),
    ("days", "180", 0), ("days", "0", 0), ("days", "-1", 0), ("days", "1.5", 0),
    ("days", "一百八十", 0), ("percent", "97.5", 0), ("percent", "100", 0),
    ("percent", "100.5", 0), ("percent", "5%", 0), ("percent", "0.125", 0),
    ("text", "合格", 10), ("text", "   ", 10), ("text", "一二三四五六七八九十一", 10),
    ("text", "a\nb", 10),
]  # fmt: skip


def typed(kind: str, text: str, max_length: int) -> dict[str, object]:
    case: dict[str, object] = {"type": kind, "input": text, "max_length": max_length or 200}
    try:
        case["sealed"] = normalize(ItemType(kind), text, max_length=max_length or 200)
    except ValueError as error:
        case["refused"] = str(error)
    return case


def main() -> None:
    vectors = {
        "format": "bidopen-readout-values/1",
        "amounts": [
            {"amount": a, "separated": format_amount(a), "capitals": amount_in_capitals(a)}
            for a in AMOUNTS
        ],
        "typed": [typed(*row) for row in TYPED],
    }
    out = Path(__file__).parent / "readout" / "readout-values-v1.json"
    out.write_text(json.dumps(vectors, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
