"""What a printed opening record of 300 bids costs: one rendering, on one core.

Run: .venv/bin/python bench/bench_printed_record.py  (figures in docs/performance.md)
"""

from __future__ import annotations

import json
import time

from bidopen.printing.fonts import find_cjk_font
from bidopen.printing.record import render_record
from bidopen.printing.signed import SignedDocument
from bidopen.service.signing import document_text
from bidseal import ServerKey, sign_document

BIDS = 300


def record_of(bids: int) -> dict[str, object]:
    at = "2026-12-08T01:00:00.000000Z"
    lines = [
        {
            "bidder": f"B{n:05d}",
            "bidder_name": f"深圳市第{n}建设工程集团有限公司",
            "status": "opened",
            "cause": None,
            "item": "",
            "above_ceiling": [],
            "items": {"price": f"{8_000_000 + n * 1_234}.00", "duration_days": "180"},
        }
        for n in range(1, bids + 1)
    ]
    return {
        "format": "bidopen-opening-record/4",
        "tender": {
            "id": "ZB-2026-000001",
            "code": "ZB-2026-000001",
            "title": "某某道路改造工程施工",
        },
        "lots": [
            {"id": "1", "name": "标段1", "bid_count": bids, "stopped": False, "ceiling": None}
        ],
        "readout_items": [
            {
                "key": "price",
                "label_zh": "投标报价（元）",
                "label_en": "Bid price",
                "type": "amount",
            },
            {"key": "duration_days", "label_zh": "工期", "label_en": "Days", "type": "days"},
        ],
        "times": {"scheduled_at": at, "deadline": at, "confirmation_closed_at": at},
        "bids": [
            {
                "lot": "1",
                "bidder": line["bidder"],
                "bidder_name": line["bidder_name"],
                "bid_sha256": f"{n:064x}",
                "receipt_no": n,
                "signed_in_at": at,
                "status": "opened",
                "cause": "decrypted",
                "failed_attempts": 0,
            }
            for n, line in enumerate(lines, start=1)
        ],
        "readout": [{"lot": "1", "lines": lines}],
        "objections": [],
        "confirmed": [],
        "deemed_accepted": [line["bidder"] for line in lines],
    }


def main() -> None:
    font = find_cjk_font()
    envelope = sign_document("opening-record", record_of(BIDS), ServerKey.generate())
    record = SignedDocument.parse(document_text(envelope))
    attachment = record.as_attachment("record.json", "signed opening record")
    timings = []
    for _ in range(3):
        start = time.process_time()
        pdf = render_record(record, attachment, font)
        timings.append(time.process_time() - start)
    print(
        json.dumps(
            {"bids": BIDS, "pdf_bytes": len(pdf), "cpu_seconds": [round(t, 2) for t in timings]}
        )
    )


if __name__ == "__main__":
    main()
