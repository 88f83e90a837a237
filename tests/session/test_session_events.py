"""Event payloads: JSON-safe, one spelling per instant, and an exact round trip for every kind."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from session_kit import DEADLINE, HOST, SYSTEM, THIN, Run, bidder, continue_thin, run_to

from bidopen.session import EMPTY, Phase, evolve, replay
from bidopen.session import commands as c
from bidopen.session import events as e
from bidopen.session.errors import SessionError
from bidopen.session.events import EVENT_TYPES, current_payload, event_from_payload

INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _every_kind_of_event() -> list[e.Event]:
    """Logs that together hold every kind of event at least once."""
    aborted = Run().schedule().wait(5)
    aborted.do(c.Reschedule(actor=HOST, deadline=DEADLINE.replace(hour=9), reason="澄清"))
    aborted.do(c.Abort(actor=HOST, reason="投诉"))
    turns = Run().schedule().pass_deadline(THIN, signed_in=("A",))
    continue_thin(turns).start().sign_in("B")
    turns.do(c.RecordDecryptionFailure(actor=bidder("A"), bidder="A", lot="L1", reason_code="bad"))
    turns.do(c.ExtendDecryption(actor=HOST, seconds=300, reason="延长"))
    turns.do(c.RecordPlatformFault(actor=SYSTEM, bidder="B", reason="超时"))
    turns.do(c.Pause(actor=HOST, reason="暂停"))
    turns.wait(3).do(c.Resume(actor=HOST))
    published = run_to(Phase.RESULT_PUBLISHED).wait(60).object_to_result("C", "L1")
    published.wait(60).answer_result_objection("R1")
    return aborted.log + turns.log + published.log


def test_the_sample_covers_every_kind() -> None:
    assert {event.kind for event in _every_kind_of_event()} == set(EVENT_TYPES)


def test_kinds_are_unique_and_registered_under_their_own_name() -> None:
    assert all(cls.kind == kind for kind, cls in EVENT_TYPES.items())
    assert len({cls for cls in EVENT_TYPES.values()}) == len(EVENT_TYPES)


def _instants(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [i for item in value.values() for i in _instants(item)]
    if isinstance(value, list):
        return [i for item in value for i in _instants(item)]
    return [value] if isinstance(value, str) and value[:4].isdigit() and "T" in value else []


@pytest.mark.parametrize("event", _every_kind_of_event(), ids=lambda event: event.kind)
def test_payload_round_trips_exactly_through_json_text(event: e.Event) -> None:
    payload = event.to_payload()
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    back = event_from_payload(event.kind, json.loads(text))
    assert back == event
    assert type(back) is type(event)
    assert back.to_payload() == payload
    instants = _instants(payload)
    assert instants, "every event carries at least its time"
    assert all(INSTANT.fullmatch(instant) for instant in instants)


def test_a_log_replayed_from_payloads_gives_the_same_state() -> None:
    run = run_to(Phase.RESULT_PUBLISHED)
    stored = [(event.kind, json.dumps(event.to_payload())) for event in run.log]
    assert replay(event_from_payload(kind, json.loads(text)) for kind, text in stored) == run.state


def _deadline_payload() -> dict[str, Any]:
    run = Run().schedule().pass_deadline(THIN)
    event = next(ev for ev in run.log if isinstance(ev, e.DeadlinePassed))
    return event.to_payload()


def _without(payload: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != name}


BAD_PAYLOADS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "missing field": lambda p: _without(p, "signed_in"),
    "extra field": lambda p: {**p, "price": "1"},
    "naive instant": lambda p: {**p, "at": "2026-11-27T03:00:00"},
    "instant without microseconds": lambda p: {**p, "at": "2026-11-27T03:00:00Z"},
    "number as text": lambda p: {**p, "counts": {"L1": "2"}},
    "bool as number": lambda p: {**p, "counts": {"L1": True}},
    "object for a list": lambda p: {**p, "signed_in": {}},
    "bad nested bid": lambda p: {**p, "bids": [{**p["bids"][0], "bid_sha256": "XYZ"}]},
    "nested bid without its arrival": lambda p: {
        **p,
        "bids": [_without(_without(p["bids"][0], "receipt_no"), "received_at")],
    },
    "name with a line break": lambda p: {
        **p,
        "bids": [{**p["bids"][0], "bidder_name": "甲公司\n乙公司"}],
    },
    "name as a number": lambda p: {**p, "bids": [{**p["bids"][0], "bidder_name": 7}]},
    "not an object": lambda p: [p],
}


@pytest.mark.parametrize("name", BAD_PAYLOADS)
def test_malformed_payloads_are_refused(name: str) -> None:
    bad = BAD_PAYLOADS[name](_deadline_payload())
    with pytest.raises(SessionError) as caught:
        event_from_payload("deadline_passed", bad)
    assert caught.value.code == "malformed_event"


def test_unknown_kind_and_bad_enum_are_refused() -> None:
    with pytest.raises(SessionError) as caught:
        event_from_payload("bid_price_leaked", {})
    assert caught.value.code == "malformed_event"
    payload = {"at": "2026-11-27T03:00:00.000000Z", "lot": "L1", "choice": "maybe"}
    with pytest.raises(SessionError) as caught:
        event_from_payload("quorum_decided", {**payload, "reason": "x", "automatic": False})
    assert caught.value.code == "malformed_event"


def test_evolve_rejects_an_event_out_of_order_and_changes_nothing() -> None:
    run = run_to(Phase.SCHEDULED)
    scheduled = run.log[0]
    with pytest.raises(SessionError) as caught:
        evolve(run.state, scheduled)
    assert caught.value.code == "event_rejected"
    readout = run_to(Phase.CONFIRMATION).log
    read_out = next(event for event in readout if isinstance(event, e.ReadOut))
    with pytest.raises(SessionError):
        evolve(EMPTY, read_out)
    with pytest.raises(SessionError):
        evolve(run.state, read_out)
    assert run.state.seq == 1


def _unnamed(value: Any) -> Any:
    """A payload as written before bidder names were kept: no `bidder_name` anywhere."""
    if isinstance(value, dict):
        return {k: _unnamed(v) for k, v in value.items() if k != "bidder_name"}
    if isinstance(value, list):
        return [_unnamed(item) for item in value]
    return value


def test_a_log_written_before_names_were_kept_still_replays() -> None:
    run = run_to(Phase.RESULT_PUBLISHED)
    stored = [(event.kind, json.dumps(_unnamed(event.to_payload()))) for event in run.log]
    assert all("bidder_name" not in text for _, text in stored)
    old = replay(event_from_payload(kind, json.loads(text)) for kind, text in stored)
    assert old.phase is Phase.RESULT_PUBLISHED and old.seq == run.state.seq
    assert old.bidder_names == {} and run.state.bidder_names != {}
    assert {bid.bidder_name for bid in old.bids.values()} == {""}
    lines = [line for lot in old.readout for line in lot.lines]
    assert lines and {line.bidder_name for line in lines} == {""}
    assert {o.bidder_name for o in old.objections.values()} == {""}
    # Apart from the names, the old log leads to the same session.
    assert [bid.key for bid in old.ordered_bids] == [bid.key for bid in run.state.ordered_bids]
    assert old.record == run.state.record and old.results == run.state.results


def _in_minutes(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A payload as written when durations were whole minutes."""
    renames = {
        "session_scheduled": ("decryption_seconds", "confirmation_seconds"),
        "decryption_extended": ("seconds",),
    }
    old = dict(payload)
    for name in renames.get(kind, ()):
        assert old[name] % 60 == 0
        old[name.replace("seconds", "minutes")] = old.pop(name) // 60
    return old


def test_a_log_written_in_minutes_replays_to_the_same_session() -> None:
    run = Run().schedule().pass_deadline(THIN, signed_in=("A",))
    continue_thin(run).start().sign_in("B")
    run.do(c.ExtendDecryption(actor=HOST, seconds=600, reason="网络拥堵"))
    run.wait(45)  # past the extended window: the scheduler's tick closes it
    stored = [(ev.kind, json.dumps(_in_minutes(ev.kind, ev.to_payload()))) for ev in run.log]
    assert sum('"minutes"' in text or '_minutes"' in text for _, text in stored) == 2
    old = [event_from_payload(kind, json.loads(text)) for kind, text in stored]
    assert old == run.log
    assert replay(old) == run.state
    assert run.state.extensions[0].seconds == 600 and run.state.decryption_seconds == 1800


def test_a_stored_payload_is_read_in_todays_form_without_touching_it() -> None:
    stored = {"at": "2026-11-27T03:00:00.000000Z", "minutes": 5, "reason": "补时"}
    stored["ends_at"] = stored["at"]
    kept = dict(stored)
    assert current_payload("decryption_extended", stored) == {
        "at": stored["at"],
        "seconds": 300,
        "reason": "补时",
        "ends_at": stored["at"],
    }
    assert stored == kept
    with pytest.raises(SessionError) as caught:
        event_from_payload("decryption_extended", {**stored, "minutes": "5"})
    assert caught.value.code == "malformed_event"
