"""The /verify page replays a log as the session core does (client_web/static/js/verify/:
event-codec.js, replay.js, record-build.js): for hundreds of random openings driven through
the Python core (replay_sessions.py), as logged, in the earlier forms logs still hold, and
spoiled, the browser gives the same refusal word for word, or the same decoded events, the
same phase and the same record, compared as canonical JSON. One node process takes them all."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import types
import typing
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from node_bidseal import require_node
from replay_sessions import earlier_forms, session_log, spoiled

from bidopen.session import Phase, build_record
from bidopen.session.codec import encode
from bidopen.session.events import EVENT_TYPES, event_from_payload
from bidopen.session.record import Leaves
from bidopen.session.state import OpeningSession
from bidopen.store.eventlog import canonical_json
from bidopen.verify.check import VerificationFailed, replay_events

SESSIONS = 300
BATCH = Path(__file__).with_name("replay_twin.mjs")


def _canonical(value: object) -> str:
    return canonical_json(value).decode()


def _record(state: OpeningSession | None, leaves: Leaves) -> str | None:
    if state is None or state.phase is Phase.UNSCHEDULED:
        return None
    try:
        return _canonical(build_record(state, leaves))
    except ValueError as exc:  # an objection id that int() cannot read: `bidopen verify` fails
        return f"error: {exc}"


def _decoded(kind: str, payload: dict[str, Any]) -> str:
    """An event as the core decodes it, in the form the page's decodeEvent gives."""
    return _canonical({"kind": kind, **event_from_payload(kind, payload).to_payload()})


def python_answer(events: list[dict[str, Any]], leaves: dict[str, list[int]]) -> dict[str, Any]:
    """What `bidopen verify`'s replay makes of a log: as replay_twin.mjs answers for the page."""
    try:
        state, record_state = replay_events(events)
    except VerificationFailed as exc:
        return {"refusal": str(exc)}
    published = next((n for n, e in enumerate(events) if e["kind"] == "record_published"), 0)
    return {
        "refusal": None,
        "phase": state.phase.value,
        "seq": state.seq,
        "events": [_decoded(e["kind"], e["payload"]) for e in events],
        "record": _record(state, Leaves(tuple(leaves["events"]), tuple(leaves["bids"]))),
        "published": _record(
            record_state, Leaves(tuple(leaves["events"][:published]), tuple(leaves["bids"]))
        ),
    }


def _hint(hint: object) -> str:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return f"opt({_hint(next(a for a in args if a is not type(None)))})"
    if origin is tuple:
        return f"list({_hint(args[0])})"
    if origin is not None:
        return f"map({_hint(args[1])})"
    assert isinstance(hint, type)
    return hint.__name__


def _values_in(hint: object) -> list[type]:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return [hint]
    return [found for arg in typing.get_args(hint) for found in _values_in(arg)]


def python_declarations() -> list[str]:
    """Each event kind's fields and then each value's, in the order they are first met, as
    describeDeclarations() states them."""
    values: list[type] = []

    def line(name: str, cls: type) -> str:
        hints = typing.get_type_hints(cls)
        fields = []
        for f in dataclasses.fields(cls):
            values.extend(v for v in _values_in(hints[f.name]) if v not in values)
            default = ""
            if f.default is not dataclasses.MISSING:
                text = json.dumps(encode(f.default), ensure_ascii=False, separators=(",", ":"))
                default = f"={text}"
            fields.append(f"{f.name}:{_hint(hints[f.name])}{default}")
        return f"{name} {', '.join(fields)}"

    lines = [line(kind, cls) for kind, cls in EVENT_TYPES.items()]
    n = 0
    while n < len(values):  # a value's own values are described after it
        lines.append(line(values[n].__name__, values[n]))
        n += 1
    return lines


def _first_difference(ours: object, theirs: object, path: str = "") -> str:
    """Where two answers part, and how (canonical JSON texts are compared as JSON)."""
    ours, theirs = (_loaded(v) for v in (ours, theirs))
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(ours.keys() | theirs.keys()):
            if ours.get(key) != theirs.get(key):
                return _first_difference(ours.get(key), theirs.get(key), f"{path}.{key}")
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        for n, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{n}]")
    return f"{path}: python {str(ours)[:300]!r}, page {str(theirs)[:300]!r}"


def _loaded(value: object) -> object:
    if isinstance(value, str) and value[:1] in "{[":
        return json.loads(value)
    return value


def _cases() -> list[dict[str, Any]]:
    cases = []
    for seed in range(SESSIONS):
        rng = random.Random(f"twin-{seed}")
        log = session_log(seed)
        variants = [("as logged", log)]
        if seed % 2 == 0:
            variants.append(("earlier forms", earlier_forms(rng, log)))
        variants += [spoiled(rng, log), spoiled(rng, log, "break")]
        for what, events in variants:
            leaves = {"events": [3 * n + 1 for n in range(len(events))], "bids": [0, 2]}
            cases.append({"seed": seed, "what": what, "events": events, "leaves": leaves})
    return cases


@pytest.fixture(scope="module")
def batch() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The cases, and the browser's answers to all of them from one node process."""
    cases = _cases()
    request = {"cases": [{"events": c["events"], "leaves": c["leaves"]} for c in cases]}
    completed = subprocess.run(
        [require_node(), str(BATCH)],
        input=json.dumps(request, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    answers: dict[str, Any] = json.loads(completed.stdout)
    assert len(answers["answers"]) == len(cases)
    return cases, answers


def test_the_page_decodes_the_events_pythons_core_declares(
    batch: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    assert batch[1]["declarations"] == python_declarations()


def test_every_log_replays_alike_in_the_page(
    batch: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    cases, answers = batch
    differing = []
    for case, theirs in zip(cases, answers["answers"], strict=True):
        ours = python_answer(case["events"], case["leaves"])
        if theirs != ours:
            member = next(k for k in ours if theirs.get(k) != ours.get(k))
            differing.append(
                f"session {case['seed']} ({case['what']}): {member}"
                f"{_first_difference(ours.get(member), theirs.get(member))}"
            )
    assert differing == [], "\n".join(differing[:5])


def test_the_sessions_cover_the_record_and_the_refusals(
    batch: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    """The comparison above is worth something: the logs reach the record and every member
    of it, in every form, and the spoiled ones are refused for each kind of reason."""
    cases, answers = batch
    reached = Counter(a["phase"] for a in answers["answers"] if a["refusal"] is None)
    assert (
        sum(reached[p] for p in ("record_due", "closed", "evaluation", "result_published")) >= 100
    )
    assert reached["aborted"] >= 20 and reached["stopped"] >= 5
    kinds = Counter(e["kind"] for c in cases if c["what"] == "as logged" for e in c["events"])
    for kind in EVENT_TYPES:
        assert kinds[kind] >= 5, kind
    records = [
        json.loads(a["record"]) for a in answers["answers"] if (a.get("record") or "")[:1] == "{"
    ]
    for member in ("pauses", "extensions", "platform_faults", "quorum_decisions", "reschedulings"):
        assert sum(bool(r[member]) for r in records) >= 20, member
    assert sum(any(b["failed_attempts"] for b in r["bids"]) for r in records) >= 10
    assert sum(bool(r["aborted"]) for r in records) >= 20
    assert (
        sum(
            any(line["cause"] == "value_not_of_type" for line in lot["lines"])
            for r in records
            for lot in r["readout"]
        )
        >= 5
    )
    refusals = [a["refusal"] for a in answers["answers"] if a["refusal"] is not None]
    for reason in (
        "cannot follow phase",
        "must have the fields",
        "must be of type",
        "is not an instant",
        "unknown event kind",
        "payload must be an object",
        "must not have surrounding spaces or control characters",  # a value object's check
    ):
        assert sum(reason in r for r in refusals) >= 3, reason
    earlier = [
        a for c, a in zip(cases, answers["answers"], strict=True) if c["what"] == "earlier forms"
    ]
    assert sum(a["refusal"] is None and a["record"] is not None for a in earlier) >= SESSIONS // 3
