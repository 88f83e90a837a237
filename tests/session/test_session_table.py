"""Rule table: one row per (phase, command), legal and illegal, and one per wrong actor."""

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from session_kit import (
    DEADLINE,
    HOST,
    OTHER_HOST,
    PUBLIC,
    SHA,
    SIG,
    SYSTEM,
    Run,
    bid,
    bidder,
    org,
    run_to,
    schedule_command,
)

from bidopen.session import Phase, decide
from bidopen.session import commands as c
from bidopen.session.errors import ERROR_CODES, SessionError
from bidopen.session.values import (
    Actor,
    Candidate,
    EvaluationStage,
    QuorumChoice,
    Reason,
    ResultOutcome,
)

# "ok": decide returns events (or [] for an idle tick/sign-in); "-": illegal_in_phase;
# anything else is the error code expected. Columns are phases; "+p" means paused.
TABLE = """
command                    unscheduled scheduled quorum_decision opening decryption decryption+p confirmation confirmation+p record_due closed evaluation result_published stopped aborted
schedule_session           ok - - - - - - - - - - - - -
reschedule                 - ok - - - - - - - - - - - -
abort                      - ok ok ok ok ok ok ok ok ok ok - - -
tick                       ok ok ok ok ok ok ok ok ok ok ok ok ok ok
decide_quorum              - - ok - - - - - - - - - - -
start_decryption           - - - ok - - - - - - - - - -
sign_in                    - - ok ok ok ok ok ok - - - - - -
record_decryption          - - - - ok session_paused - - - - - - - -
record_decryption_failure  - - - - ok session_paused - - - - - - - -
extend_decryption          - - - - ok ok - - - - - - - -
record_platform_fault      - - - - ok ok - - - - - - - -
pause                      - - - - ok session_paused ok session_paused - - - - - -
resume                     - - - - not_paused ok not_paused ok - - - - - -
close_decryption           - - - - decryption_incomplete session_paused - - - - - - - -
confirm                    - - - - - - ok session_paused - - - - - -
raise_objection            - - ok ok ok ok ok ok - - - - - -
answer_objection           - - objection_unknown objection_unknown ok ok objection_already_answered objection_already_answered objection_already_answered - - - - -
close_confirmation         - - - - - - confirmation_incomplete session_paused - - - - - -
publish_record             - - - - - - - - ok - - - - -
set_evaluation_stage       - - - - - - - - - ok invalid_argument - - -
publish_result             - - - - - - - - - - ok - - -
object_to_result           - - - - - - - - - - result_not_published ok - -
answer_result_objection    - - - - - - - - - - objection_unknown objection_unknown - -
"""  # noqa: E501


def _parse(table: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    columns = header[1:]
    parsed = {}
    for row in rows:
        assert len(row) == len(columns) + 1, f"row {row[0]} has {len(row) - 1} cells"
        parsed[row[0]] = dict(zip(columns, row[1:], strict=True))
    return columns, parsed


COLUMNS, EXPECTED = _parse(TABLE)


def _sample(name: str) -> c.Command:
    """A command of each kind that is legal wherever its phase and actor are."""
    samples: dict[str, c.Command] = {
        "schedule_session": schedule_command(),
        "reschedule": c.Reschedule(
            actor=HOST, deadline=DEADLINE + timedelta(hours=1), reason="答疑延期"
        ),
        "abort": c.Abort(actor=HOST, reason="投诉处理中"),
        "tick": c.Tick(actor=SYSTEM),
        "decide_quorum": c.DecideQuorum(
            actor=HOST, lot="L1", choice=QuorumChoice.CONTINUE, reason="依法可继续"
        ),
        "start_decryption": c.StartDecryption(actor=HOST),
        "sign_in": c.SignIn(actor=bidder("C"), bidder="C"),
        "record_decryption": c.RecordDecryption(actor=bidder("A"), bidder="A", lot="L1"),
        "record_decryption_failure": c.RecordDecryptionFailure(
            actor=bidder("A"), bidder="A", lot="L1", reason_code="wrong_key"
        ),
        "extend_decryption": c.ExtendDecryption(actor=HOST, seconds=600, reason="网络拥堵"),
        "record_platform_fault": c.RecordPlatformFault(actor=HOST, bidder=None, reason="平台中断"),
        "pause": c.Pause(actor=HOST, reason="技术故障"),
        "resume": c.Resume(actor=HOST),
        "close_decryption": c.CloseDecryption(actor=HOST, summaries={}),
        "confirm": c.Confirm(actor=bidder("B"), bidder="B"),
        "raise_objection": c.RaiseObjection(actor=bidder("A"), bidder="A", lot="L1", text="异议"),
        "answer_objection": c.AnswerObjection(actor=HOST, objection_id="O1", text="答复"),
        "close_confirmation": c.CloseConfirmation(actor=HOST),
        "publish_record": c.PublishRecord(actor=HOST, sha256=SHA, signature=SIG),
        "set_evaluation_stage": c.SetEvaluationStage(
            actor=HOST, stage=EvaluationStage.QUALIFICATION
        ),
        "publish_result": c.PublishResult(
            actor=HOST,
            lot="L1",
            outcome=ResultOutcome.CANDIDATES,
            candidates=(Candidate(bidder="A"), Candidate(bidder="B")),
            reasons={"C": Reason(clause="3.2", text="未按要求提供投标保证金")},
            publicity_days=3,
            sha256=SHA,
            signature=SIG,
        ),
        "object_to_result": c.RaiseResultObjection(
            actor=bidder("A"), bidder="A", lot="L1", text="异议"
        ),
        "answer_result_objection": c.AnswerResultObjection(
            actor=HOST, objection_id="R1", text="答复"
        ),
    }
    return samples[name]


def _outcome(column: str, command: c.Command) -> str:
    phase, _, paused = column.partition("+")
    run = run_to(Phase(phase), paused=bool(paused))
    try:
        decide(run.state, command, run.now)
    except SessionError as error:
        return "-" if error.code == "illegal_in_phase" else error.code
    return "ok"


def test_the_table_has_a_row_for_every_command_and_a_column_for_every_phase() -> None:
    assert set(EXPECTED) == {command.name for command in c.ALL_COMMANDS}
    assert {column.partition("+")[0] for column in COLUMNS} == {phase.value for phase in Phase}
    codes = {cell for row in EXPECTED.values() for cell in row.values()} - {"ok", "-"}
    assert codes <= set(ERROR_CODES)


def _all_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    sub: type
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


def test_every_command_class_is_listed() -> None:
    concrete = _all_subclasses(c.Command) - {c.BidderCommand}
    assert concrete == set(c.ALL_COMMANDS)


def test_every_paused_fixture_is_paused() -> None:
    for column in COLUMNS:
        phase, _, paused = column.partition("+")
        run = run_to(Phase(phase), paused=bool(paused))
        assert run.state.phase is Phase(phase)
        assert run.state.paused is bool(paused)


CELLS = [(name, column) for name in EXPECTED for column in COLUMNS]


@pytest.mark.parametrize(("name", "column"), CELLS, ids=[f"{n}@{col}" for n, col in CELLS])
def test_phase_table(name: str, column: str) -> None:
    assert _outcome(column, _sample(name)) == EXPECTED[name][column]


# Who may send each command: "self" is the bidder the command names.
ALLOWED = {
    "schedule_session": {"host"},
    "reschedule": {"host"},
    "abort": {"host"},
    "tick": {"system"},
    "decide_quorum": {"host"},
    "start_decryption": {"host"},
    "sign_in": {"self"},
    "record_decryption": {"self"},
    "record_decryption_failure": {"self"},
    "extend_decryption": {"host"},
    "record_platform_fault": {"host", "system"},
    "pause": {"host"},
    "resume": {"host"},
    "close_decryption": {"host"},
    "confirm": {"self"},
    "raise_objection": {"self"},
    "answer_objection": {"host"},
    "close_confirmation": {"host"},
    "publish_record": {"host"},
    "set_evaluation_stage": {"host"},
    "publish_result": {"host"},
    "object_to_result": {"self"},
    "answer_result_objection": {"host"},
}
ACTOR_KINDS = ("host", "other_host", "system", "public", "self", "other_bidder", "outsider")


def _with_actor(command: c.Command, kind: str) -> c.Command:
    named = command.bidder if isinstance(command, c.BidderCommand) else "A"
    other = "B" if named != "B" else "A"
    actors: dict[str, Actor] = {
        "host": HOST,
        "other_host": OTHER_HOST,
        "system": SYSTEM,
        "public": PUBLIC,
        "self": bidder(named),
        "other_bidder": bidder(other),
        "outsider": bidder("Z"),
    }
    changed = dataclasses.replace(command, actor=actors[kind])
    if kind == "outsider" and isinstance(changed, c.BidderCommand):
        # A bidder speaking for itself, but with no bid in the session.
        changed = dataclasses.replace(changed, bidder="Z")
    return changed


def _legal_column(name: str) -> str:
    return next(col for col in COLUMNS if EXPECTED[name][col] not in ("-", "session_paused"))


ACTOR_CELLS = [(name, kind) for name in EXPECTED for kind in ACTOR_KINDS]


@pytest.mark.parametrize(("name", "kind"), ACTOR_CELLS, ids=[f"{n}-by-{k}" for n, k in ACTOR_CELLS])
def test_actor_table(name: str, kind: str) -> None:
    assert set(ALLOWED) == set(EXPECTED)
    column = _legal_column(name)
    expected = EXPECTED[name][column] if kind in ALLOWED[name] else "not_permitted"
    assert _outcome(column, _with_actor(_sample(name), kind)) == expected


# What the deadline tick may name: each row's bids as (lot, bidder, bidder_name), and "ok" or
# the code of the refusal. "" is what a log written before names were kept replays with.
NAME_TABLE: dict[str, tuple[tuple[tuple[str, str, object], ...], str]] = {
    "every bidder named": ((("L1", "A", org("A")), ("L2", "A", org("A"))), "ok"),
    "no name": ((("L1", "A", ""), ("L2", "A", "")), "ok"),
    "longest name": ((("L1", "A", "名" * 200),), "ok"),
    "name too long": ((("L1", "A", "名" * 201),), "invalid_argument"),
    "line break in a name": ((("L1", "A", "甲公司\n乙公司"),), "invalid_argument"),
    "name not text": ((("L1", "A", 7),), "invalid_argument"),
    "two names for one bidder": (
        (("L1", "A", org("A")), ("L2", "A", org("B"))),
        "invalid_argument",
    ),
}


def _deadline_outcome(entries: tuple[tuple[str, str, object], ...]) -> str:
    run = Run().schedule().until(DEADLINE)
    try:
        bids = tuple(
            dataclasses.replace(bid(lot, name, i + 1), bidder_name=bidder_name)
            for i, (lot, name, bidder_name) in enumerate(entries)
        )
        events = decide(run.state, c.Tick(actor=SYSTEM, bids=bids), run.now)
    except SessionError as error:
        return error.code
    logged: Any = events[0].to_payload()["bids"]
    assert [(b["lot"], b["bidder"], b["bidder_name"]) for b in logged] == list(entries)
    return "ok"


@pytest.mark.parametrize("row", NAME_TABLE)
def test_deadline_names_table(row: str) -> None:
    entries, expected = NAME_TABLE[row]
    assert _deadline_outcome(entries) == expected
