"""Writes tests/vectors/release/release-rule-v1.json: the key-release rule, case by case.

Run from the repository root: .venv/bin/python tests/vectors/make_release_vectors.py
Each case gives the verified payloads a client kept (receipts, withdrawals, postponement
notices, the hub's deadline statement), the bid about to be opened and the client's own
clock, and what the rule of server/bidopen/client/release.py answers: the deadlines and the
instant the key may leave, or the refusal's code. The browser twin
(client_web/static/js/bidder/release.js) is held to the same answers by
client_web/test/release-vectors.test.mjs; tests/hostile/test_release_vectors.py checks that
the file still says what the Python rule decides.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bidopen.client.errors import ClientError
from bidopen.client.release import (
    BidDocument,
    DeadlineStatement,
    Postponement,
    check_time,
    chosen_bid,
    plan_release,
)
from bidopen.clock import iso, parse_iso

OUT = Path(__file__).resolve().parent / "release" / "release-rule-v1.json"
KEY, OTHER = "server-key-b64u", "another-key-b64u"
DEADLINE = "2026-12-07T02:00:00.000000Z"
LATER = "2026-12-08T02:00:00.000000Z"
EARLIER = "2026-12-07T01:00:00.000000Z"
JUST_AFTER = "2026-12-07T02:00:02.000000Z"  # the deadline plus the two-second margin
NONCE = "nonce-0123456789abcdef"
OLD, NEW, ELSE = "a" * 64, "b" * 64, "c" * 64


def receipt(sha: str, at: str, **changes: Any) -> dict[str, Any]:
    payload = {
        "version": 2,
        "tender": "T1",
        "tender_code": "ZB-2026-000001",
        "tender_title": "道路工程",
        "lot": "1",
        "lot_name": "标段一",
        "bidder": "B1",
        "deadline": DEADLINE,
        "bid_sha256": sha,
        "received_at": at,
        **changes,
    }
    return {"type": "receipt", "payload": payload, "key": KEY}


def withdrawal(sha: str, at: str) -> dict[str, Any]:
    payload = {"version": 2, "tender": "T1", "lot": "1", "bidder": "B1", "deadline": DEADLINE}
    payload |= {"bid_sha256": sha, "withdrawn_at": at}
    return {"type": "withdrawal", "payload": payload, "key": KEY}


def notice(deadline: str, tender: str = "T1", key: str = KEY) -> dict[str, Any]:
    payload = {"tender": tender, "previous_deadline": DEADLINE, "deadline": deadline}
    return {"payload": payload, "key": key}


def statement(deadline: str, postponements: int, nonce: str = NONCE, key: str = KEY) -> Any:
    payload = {"tender": "T1", "deadline": deadline, "postponements": postponements}
    return {"payload": payload | {"nonce": nonce, "at": DEADLINE}, "key": key}


TWO = [receipt(OLD, "2026-12-07T00:00:00.000000Z"), receipt(NEW, "2026-12-07T00:30:00.000000Z")]


def case(name: str, documents: list[dict[str, Any]], **given: Any) -> dict[str, Any]:
    return {
        "name": name,
        "documents": documents,
        "notices": given.get("notices", []),
        "statement": given.get("statement"),
        "nonce": given.get("nonce", NONCE if given.get("statement") else None),
        "stated": given.get("stated", []),
        "open": {"tender": "T1", "lot": "1", "bidder": "B1", "sealed_sha256": NEW}
        | given.get("open", {}),
        "now": given.get("now", JUST_AFTER),
    }


CASES = [
    case("the latest receipt opens at the deadline plus the margin", TWO),
    case("receipts kept in any order", TWO[::-1]),
    case("one millisecond early is refused", TWO, now="2026-12-07T02:00:01.999000Z"),
    case("a replaced bid", TWO, open={"sealed_sha256": OLD}),
    case("a file no receipt names", TWO, open={"sealed_sha256": ELSE}),
    case("no receipt for this lot", TWO, open={"lot": "2"}),
    case("no receipt of this bidder", TWO, open={"bidder": "B2"}),
    case("a withdrawn bid", [*TWO, withdrawal(NEW, "2026-12-07T01:00:00.000000Z")]),
    case(
        "a withdrawal of an earlier upload of the same file",
        [
            receipt(NEW, "2026-12-07T00:00:00.000000Z"),
            withdrawal(NEW, "2026-12-07T00:10:00.000000Z"),
            receipt(NEW, "2026-12-07T00:20:00.000000Z"),
        ],
    ),
    case("a version-1 receipt", [receipt(NEW, "2026-12-07T00:00:00.000000Z", version=1)]),
    case("a malformed receipt", [receipt(NEW, "yesterday")]),
    case("a signed postponement", TWO, notices=[notice(LATER)], now=LATER),
    case(
        "after a signed postponement",
        TWO,
        notices=[notice(LATER)],
        statement=statement(LATER, 1),
        now="2026-12-08T02:00:02.000000Z",
    ),
    case("a notice naming an earlier deadline", TWO, notices=[notice(EARLIER)]),
    case("a notice of another tender", TWO, notices=[notice(LATER, tender="T2")]),
    case("a notice of another key", TWO, notices=[notice(LATER, key=OTHER)]),
    case("a statement hiding a notice", TWO, statement=statement(DEADLINE, 1)),
    case("a statement naming an earlier deadline", TWO, statement=statement(EARLIER, 0)),
    case("a statement over another nonce", TWO, statement=statement(DEADLINE, 0, "replayed")),
    case("a statement of another key", TWO, statement=statement(DEADLINE, 0, key=OTHER)),
    case("the statement agrees", TWO, statement=statement(DEADLINE, 0)),
    case(
        "a later deadline the hub only states is waited for",
        TWO,
        stated=[LATER],
        statement=statement(DEADLINE, 0),
    ),
    case(
        "a later stated deadline, once passed",
        TWO,
        stated=[LATER],
        statement=statement(DEADLINE, 0),
        now="2026-12-08T02:00:02.000000Z",
    ),
    case(
        "an earlier or unreadable stated deadline changes nothing",
        TWO,
        stated=[EARLIER, "not a time"],
        statement=statement(DEADLINE, 0),
    ),
]


def decide(given: dict[str, Any]) -> dict[str, Any]:
    """What the Python rule answers for one case."""
    try:
        kept = [
            BidDocument.from_payload(d["type"], d["payload"], d["key"].encode())
            for d in given["documents"]
        ]
        notices = [
            Postponement.from_payload(n["payload"], n["key"].encode()) for n in given["notices"]
        ]
        said = given["statement"]
        statement_ = (
            None
            if said is None
            else DeadlineStatement.from_payload(said["payload"], said["key"].encode())
        )
        target = given["open"]
        chosen = chosen_bid(
            kept, target["tender"], target["lot"], target["bidder"], target["sealed_sha256"]
        )
        stated = []
        for text in given["stated"]:
            try:
                stated.append(parse_iso(text))
            except ValueError:
                continue  # an unreadable stated deadline adds nothing (as in the rooms)
        plan = plan_release(chosen, notices, stated, statement=statement_, nonce=given["nonce"])
        check_time(plan, parse_iso(given["now"]))
    except ClientError as refusal:
        return {"refused": refusal.code}
    return {
        "deadline": iso(plan.deadline),
        "signed": iso(plan.signed),
        "opens_at": iso(plan.opens_at),
    }


def vectors() -> dict[str, Any]:
    return {
        "note": "written by tests/vectors/make_release_vectors.py from bidopen.client.release",
        "cases": [given | {"expect": decide(given)} for given in CASES],
    }


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(vectors(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
