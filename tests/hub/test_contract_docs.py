"""The published contract is the code's: schemas regenerate unchanged, the error table is CODES."""

from __future__ import annotations

from pathlib import Path

from bidopen.errors import CODES
from bidopen.wire.schemas import schema_files
from contract_watch import (
    MISMATCHES,
    SEEN_CODES,
    check_answer,
    check_event,
    documented_codes,
    observe,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def test_the_checked_in_schemas_are_the_declarations() -> None:
    generated = schema_files()
    on_disk = {
        str(path.relative_to(SCHEMAS)): path.read_text(encoding="utf-8")
        for path in SCHEMAS.rglob("*.json")
    }
    stale = sorted(
        name for name in generated.keys() & on_disk.keys() if generated[name] != on_disk[name]
    )
    assert not stale, f"regenerate with `python -m bidopen.describe docs`: {stale}"
    assert sorted(on_disk) == sorted(generated), "a schema file is missing or has no declaration"


def test_the_error_table_lists_every_code_with_its_status() -> None:
    table = documented_codes()
    assert sorted(table) == sorted(CODES)
    assert {code: spec.status for code, spec in CODES.items()} == table


def test_the_watch_refuses_an_error_or_a_document_off_its_schema() -> None:
    before = len(MISMATCHES)
    observe({"error": {"code": "no_such_code", "message": "x", "message_zh": "x"}}, "test")
    record = {"format": "bidseal-signed/1", "type": "receipt", "payload": '{"receipt_no": 1}'}
    observe({"receipt": {**record, "signature": "s", "key": "k"}}, "test")
    assert len(MISMATCHES) == before + 2
    del MISMATCHES[before:]
    SEEN_CODES.discard("no_such_code")


def test_the_watch_holds_each_audience_to_its_events_schema() -> None:
    before = len(MISMATCHES)
    named = {"at": "2026-11-27T01:00:00.000000Z", "deadline": "2026-11-27T01:00:00.000000Z"}
    payload = {**named, "counts": {"1": 3}, "quorum_warnings": [], "signed_in": [], "bids": []}
    check_event("/host", {"seq": 2, "kind": "deadline_passed", "data": payload})
    assert len(MISMATCHES) == before
    # The public never receives the bids of the deadline event.
    check_event("/public", {"seq": 2, "kind": "deadline_passed", "data": payload})
    assert len(MISMATCHES) == before + 1
    del MISMATCHES[before:]


def test_the_watch_holds_each_rest_answer_to_its_routes_declaration() -> None:
    before = len(MISMATCHES)
    now = "2026-11-27T01:00:00.000000Z"
    check_answer("GET", "/api/time", 200, {"now": now})
    check_answer("GET", "/api/tenders/ZB-2026-000001/bids/mine", 200, {"bids": []})
    assert MISMATCHES[before:] == []
    check_answer("GET", "/api/time", 200, {"now": now, "zone": "UTC"})  # a member undeclared
    check_answer("GET", "/api/time", 200, {"now": "yesterday"})  # off its pattern
    check_answer("GET", "/api/time", 201, {"now": now})  # not the declared status
    check_answer("GET", "/api/no-such-route", 200, {})
    found = MISMATCHES[before:]
    del MISMATCHES[before:]
    assert len(found) == 4, found
    assert "declares status 200" in found[2]
    assert "no route of the hub" in found[3]
