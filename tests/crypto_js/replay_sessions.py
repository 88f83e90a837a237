"""Random openings driven through the Python session core, as the log stores them: the cases
that hold the /verify page's replay (client_web/static/js/verify/replay.js) to the core.

Each session is a random legal command sequence (the candidates of
tests/session/test_session_properties.py, with signatures, typed read-out items, ceilings,
parties and quorum choices); its events are written as the log keeps them (payload JSON),
some of them in the earlier forms logs still hold, and some logs are then spoiled: an event
moved, dropped, or its payload broken, so that the replay must refuse it.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import sys
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

_SESSION_TESTS = str(Path(__file__).resolve().parents[1] / "session")
if _SESSION_TESTS not in sys.path:
    sys.path.insert(0, _SESSION_TESTS)

from session_kit import HOST, SHA, SIG, SYSTEM, Run, bid, bidder, bids  # noqa: E402

from bidopen.session import Event, OpeningSession, decide, evolve  # noqa: E402
from bidopen.session import commands as c  # noqa: E402
from bidopen.session.errors import SessionError  # noqa: E402
from bidopen.session.values import (  # noqa: E402
    BidEntry,
    Candidate,
    EvaluationStage,
    ItemType,
    Lot,
    QuorumChoice,
    ReadoutItem,
    Reason,
    ResultOutcome,
    TenderParties,
)

BIDDERS = ("甲建设集团", "乙路桥公司", "丙市政工程", "丁监理咨询")
TYPED_ITEMS = (
    ReadoutItem(key="price", label_zh="投标报价（元）", label_en="Bid price", type=ItemType.AMOUNT),
    ReadoutItem(key="duration_days", label_zh="工期", label_en="Duration", type=ItemType.DAYS),
    ReadoutItem(key="rate", label_zh="费率", label_en="Rate", type=ItemType.PERCENT),
)
TEXT_ITEMS = (ReadoutItem(key="price", label_zh="投标报价", label_en="Price", max_length=40),)
Summaries = dict[tuple[str, str], dict[str, str]]


def _b64u(rng: random.Random, size: int) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(size)).rstrip(b"=").decode()


def _summary(rng: random.Random, typed: bool) -> dict[str, str]:
    """A bid's sealed read-out values: mostly of their types, now and then one that is not."""
    if not typed:
        return {"price": rng.choice(["壹佰万元", "1000000.00", "约 98 万"])}
    price = rng.choice(["990000.50", "1000000.00", "1200000.00", "1,000,000", "三百万"])
    return {"price": price, "duration_days": rng.choice(["180", "365", "-1"]), "rate": "97.5"}


def _candidates(
    state: OpeningSession,
    rng: random.Random,
    entries: tuple[BidEntry, ...],
    signed: tuple[str, ...],
    summaries: Summaries,
) -> list[c.Command]:
    """Commands worth trying now (most legal in some state), with the bidders' signatures."""
    opened = {b.key: summaries[b.key] for b in state.live_bids if b.decrypted_at is not None}
    out: list[c.Command] = [
        c.Tick(actor=SYSTEM, bids=entries, signed_in=signed, summaries=opened),
        c.StartDecryption(actor=HOST),
        c.ExtendDecryption(actor=HOST, seconds=rng.choice([60, 300, 450]), reason="补时"),
        c.RecordPlatformFault(actor=HOST, bidder=None, reason="全网故障"),
        c.Pause(actor=HOST, reason="暂停 pause"),
        c.Resume(actor=HOST),
        c.CloseDecryption(actor=HOST, summaries=opened),
        c.CloseConfirmation(actor=HOST),
        c.PublishRecord(actor=HOST, sha256=SHA, signature=SIG),
    ]
    if state.deadline is not None and len(state.reschedulings) < 2:
        later = state.deadline + timedelta(minutes=rng.choice([30, 90]))
        out.append(c.Reschedule(actor=HOST, deadline=later, reason="延期"))
    if rng.randrange(25) == 0:
        out.append(c.Abort(actor=HOST, reason="终止"))
    for lot in state.pending_quorum:
        for choice in QuorumChoice:
            out.append(c.DecideQuorum(actor=HOST, lot=lot, choice=choice, reason="主持人决定"))
    lots = [None, *(lot.id for lot in state.lots)]
    for name in BIDDERS:
        me = bidder(name)
        out += [
            c.SignIn(actor=me, bidder=name),
            c.Confirm(actor=me, bidder=name, signature=_b64u(rng, 64)),
            c.RaiseObjection(
                actor=me,
                bidder=name,
                lot=rng.choice(lots),
                text="异议：报价读错",
                nonce=_b64u(rng, 16),
                signature=_b64u(rng, 64),
            ),
            c.RecordPlatformFault(actor=SYSTEM, bidder=name, reason="连接中断"),
        ]
    for entry in entries:
        me = bidder(entry.bidder)
        out += [
            c.RecordDecryption(actor=me, bidder=entry.bidder, lot=entry.lot),
            c.RecordDecryptionFailure(
                actor=me, bidder=entry.bidder, lot=entry.lot, reason_code="wrong_key"
            ),
        ]
    out += [c.AnswerObjection(actor=HOST, objection_id=o, text="答复") for o in state.objections]
    out += [c.SetEvaluationStage(actor=HOST, stage=stage) for stage in EvaluationStage]
    for lot in state.lots_awaiting_result:
        ranked = state.opened_bidders(lot)
        out.append(
            c.PublishResult(
                actor=HOST,
                lot=lot,
                outcome=ResultOutcome.CANDIDATES if ranked else ResultOutcome.FAILED,
                candidates=tuple(Candidate(bidder=name) for name in ranked[:3]),
                reasons={name: Reason(clause="3.1", text="否决投标") for name in ranked[3:]},
                failure="" if ranked else "无有效投标，流标",
                publicity_days=5,
                sha256=SHA,
                signature=SIG,
            )
        )
    for lot in state.results:
        for name in sorted(state.lot_bidders(lot)):
            signature = _b64u(rng, 64) if rng.random() < 0.5 else ""
            nonce = _b64u(rng, 16) if signature else ""
            out.append(
                c.RaiseResultObjection(
                    actor=bidder(name),
                    bidder=name,
                    lot=lot,
                    text="异议",
                    nonce=nonce,
                    signature=signature,
                )
            )
    out += [
        c.AnswerResultObjection(actor=HOST, objection_id=o, text="答复")
        for o in state.result_objections
    ]
    return out


def session_log(seed: int) -> list[dict[str, Any]]:
    """The events of one random opening, as the log stores them ({seq, kind, payload})."""
    rng = random.Random(seed)
    lots = tuple(
        Lot(id=f"L{i}", name=f"第{i}标段", ceiling=rng.choice([None, "1000000.00", "8650000.00"]))
        for i in range(1, rng.randint(1, 3) + 1)
    )
    typed = rng.random() < 0.7
    parties = rng.choice(
        [
            TenderParties(),
            TenderParties(tenderer="某市交通局", agency="某招标代理公司", tendered_by_law=True),
            TenderParties(tenderer="某市水务集团", tendered_by_law=False),
        ]
    )
    run = Run().schedule(
        lots=lots,
        readout_items=TYPED_ITEMS if typed else TEXT_ITEMS,
        parties=parties,
        decryption_seconds=rng.choice([30 * 60, 20 * 60, 1234]),
        confirmation_seconds=rng.choice([15 * 60, 600, 95]),
        demo_publicity_seconds=rng.choice([None, None, 120]),
    )
    plan = {lot.id: tuple(rng.sample(BIDDERS, rng.choice([0, 2, 3, 3, 4, 4]))) for lot in lots}
    if rng.random() < 0.2:  # as logs before `received_at` numbered bids: a counter per bidder
        entries = tuple(
            bid(lot, name, n) for lot, names in plan.items() for n, name in enumerate(names, 1)
        )
    else:
        entries = bids(plan)
    summaries = {(entry.lot, entry.bidder): _summary(rng, typed) for entry in entries}
    signed = tuple(rng.sample(BIDDERS, rng.randint(0, 3)))
    for _ in range(rng.randint(15, 70)):
        due = run.state.next_deadline
        if due is not None and due > run.now and rng.random() < 0.15:
            run.until(due)  # land exactly on a deadline, the interesting instant
        else:
            run.wait(rng.choice([0, 0, 1, 2, 5, 20]))
        # A kind of command first, then one of its kind: four bidders do not drown the host.
        legal: dict[str, list[list[Event]]] = {}
        for candidate in _candidates(run.state, rng, entries, signed, summaries):
            with suppress(SessionError):
                events = decide(run.state, candidate, run.now)
                legal.setdefault(candidate.name, []).append(events)
        for event in rng.choice(legal[rng.choice(sorted(legal))]):
            run.state = evolve(run.state, event)
            run.log.append(event)
    return [
        {"seq": n, "kind": event.kind, "payload": json.loads(json.dumps(event.to_payload()))}
        for n, event in enumerate(run.log, start=1)
    ]


def _maybe_drop(rng: random.Random, payload: dict[str, Any], *names: str) -> None:
    for name in names:
        if name in payload and rng.random() < 0.5:
            del payload[name]


def _minutes(rng: random.Random, payload: dict[str, Any], name: str) -> None:
    seconds = payload.get(f"{name}seconds")
    if isinstance(seconds, int) and seconds % 60 == 0 and rng.random() < 0.5:
        payload[f"{name}minutes"] = payload.pop(f"{name}seconds") // 60


def _ranked(payload: dict[str, Any]) -> None:
    """A result as logged before candidates were ranked first to third."""
    candidates = [candidate["bidder"] for candidate in payload.pop("candidates")]
    reasons = payload.pop("reasons")
    del payload["outcome"]
    payload["ranked"] = candidates + list(reasons)
    payload["winner"] = candidates[0] if candidates else None
    payload["reasons"] = {b: {"clause": r["clause"], "text": r["text"]} for b, r in reasons.items()}


def earlier_forms(rng: random.Random, log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same log with some payloads as logs written before hold them: members added since
    left out (their defaults apply), durations in minutes, results logged as `ranked`."""
    out = copy.deepcopy(log)
    for body in out:
        payload = body["payload"]
        if rng.random() < 0.5:
            continue
        match body["kind"]:
            case "session_scheduled":
                _minutes(rng, payload, "decryption_")
                _minutes(rng, payload, "confirmation_")
                names = ("organisation", "organisation_name", "parties", "demo_publicity_seconds")
                _maybe_drop(rng, payload, *names)
                for lot in payload["lots"]:
                    _maybe_drop(rng, lot, "ceiling")
                for item in payload["readout_items"]:
                    _maybe_drop(rng, item, "type", "max_length")
            case "deadline_passed":
                for n, entry in enumerate(payload["bids"], start=1):
                    _maybe_drop(rng, entry, "bidder_name")
                    if rng.random() < 0.5:
                        del entry["received_at"]
                        entry["receipt_no"] = n
            case "decryption_extended":
                _minutes(rng, payload, "")
            case "decryption_closed":
                for outcome in payload["outcomes"]:
                    _maybe_drop(rng, outcome, "item")
            case "read_out":
                for lot in payload["lots"]:
                    for line in lot["lines"]:
                        _maybe_drop(rng, line, "bidder_name", "above_ceiling", "cause", "item")
            case "bidder_confirmed":
                _maybe_drop(rng, payload, "signature")
            case "objection_raised":
                _maybe_drop(rng, payload, "bidder_name", "nonce", "signature")
            case "result_objection_raised":
                _maybe_drop(rng, payload, "nonce", "signature")
            case "result_published":
                _ranked(payload)
    return out


_WRONG_VALUES: tuple[Any, ...] = (1.5, "x", None, [], {}, True, 7, "", " L1", "a\x01b")
_INSTANTS = (
    "2026-13-01T00:00:00.000000Z",
    "2026-1-2T3:4:5.5Z",
    "２０２６-01-02T03:04:05.000000Z",
    "2026-02-29T00:00:00.0Z",
    "2024-02-29t00:00:00.0z",
    "0999-01-01T00:00:00.000000Z",
    "2026-01-01T23:59:60.000000Z",
    "2026-01-01 00:00:00.000000Z",
)


def _nested(payload: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The lists of values a payload holds."""
    return [v for v in payload.values() if isinstance(v, list) and v and isinstance(v[0], dict)]


def _break(rng: random.Random, body: dict[str, Any]) -> str:
    """Spoil one event's payload (or kind); says how."""
    payload = body["payload"]
    nested = _nested(payload)
    ways = ["kind", "payload", "extra", "at", "left out", "wrong type"]
    way = rng.choice(ways + ["value text"] * 3 * bool(nested))
    if way == "kind":
        body["kind"] = rng.choice(["session_exploded", "Deadline_Passed"])
        return f"kind {body['kind']}"
    if way == "payload":
        body["payload"] = rng.choice([[], "payload", None])
        return "payload not an object"
    if way == "extra":
        payload["extra"] = 1
        return "a member no event has"
    if way == "at":
        payload["at"] = rng.choice(_INSTANTS)
        return f"at {payload['at']}"
    if way == "value text":  # text a value object refuses: an id, a name, a hash, a key
        value = rng.choice(rng.choice(nested))
        name = rng.choice(sorted(k for k, v in value.items() if isinstance(v, str)))
        value[name] = rng.choice(["", " L1", "a\x01b", "x" * 250, "Price", "ab" * 33])
        return f"{name} = {value[name]!r}"
    target = rng.choice(rng.choice(nested)) if nested and rng.random() < 0.5 else payload
    name = rng.choice(sorted(target))
    if way == "left out":
        del target[name]
        return f"{name} left out"
    target[name] = rng.choice(_WRONG_VALUES)
    return f"{name} = {target[name]!r}"


def spoiled(
    rng: random.Random, log: list[dict[str, Any]], how: str = ""
) -> tuple[str, list[dict[str, Any]]]:
    """A copy of `log` with an event moved, repeated, dropped or broken (`how`, or any of
    these), and what was done."""
    out = copy.deepcopy(log)
    n = rng.randrange(len(out))
    how = how or rng.choice(["move", "repeat", "drop", "break"])
    if how == "move":
        event = out.pop(n)
        out.insert(rng.randrange(len(out) + 1), event)
    elif how == "repeat":
        out.insert(n + 1, copy.deepcopy(out[n]))
    elif how == "drop" and len(out) > 1:
        del out[n]
    else:
        # Half the time an event holding values (lots, bids, outcomes, lines…), whose own
        # checks then refuse it.
        holders = [i for i, body in enumerate(out) if _nested(body["payload"])]
        n = rng.choice(holders) if holders and rng.random() < 0.5 else n
        how = f"break {n + 1}: {_break(rng, out[n])}"
    for seq, body in enumerate(out, start=1):
        body["seq"] = seq
    return how, out
