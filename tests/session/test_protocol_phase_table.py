"""docs/protocol.md's phase table is the session core's behaviour: each row is run through it.

Each row names a phase, a trigger, who may send it, the next phase and the events appended.
Every row is played here through the real `decide` and `evolve` (session_kit), and its
"who" is checked against the rule table, so the document cannot drift from the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from session_kit import (
    FULL,
    HOST,
    SYSTEM,
    THIN,
    Run,
    bidder,
    bids,
    run_to,
    schedule_command,
)

from bidopen.service.commands import host_command
from bidopen.session import commands as c
from bidopen.session.permissions import RULES, Who
from bidopen.session.phases import Phase
from bidopen.session.values import (
    Candidate,
    Disposition,
    EvaluationStage,
    QuorumChoice,
    Reason,
    ResultOutcome,
)
from bidopen.wire.bodies import HOST_COMMAND_BODIES
from bidopen.wire.decoding import decode_body

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
WHO = {
    Who.HOST: "host",
    Who.NEW_HOST: "host",
    Who.BIDDER: "bidder",
    Who.SYSTEM: "system",
    Who.HOST_OR_SYSTEM: "host or system",
}

Row = tuple[str, str, str, str, tuple[str, ...]]


def _doc_rows() -> list[Row]:
    text = PROTOCOL.read_text(encoding="utf-8")
    table = text.split("<!-- phase-table:start -->")[1].split("<!-- phase-table:end -->")[0]
    rows = []
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        phase, trigger, who, after, events = cells
        rows.append(
            (
                phase.strip("`"),
                trigger,
                who,
                after.strip("`"),
                tuple(re.findall(r"`([a-z_]+)`", events)),
            )
        )
    return rows


def _host(name: str, **body: object) -> Callable[[Run], c.Command]:
    """The command as the hub builds it from a request: the JSON read into its declared body."""
    raw = json.dumps(body).encode()
    return lambda run: host_command(HOST, name, decode_body(raw, HOST_COMMAND_BODIES[name]))


def _bidder(make: Callable[[str], c.Command], name: str = "C") -> Callable[[Run], c.Command]:
    return lambda run: make(name)


def _tick_at_deadline(plan: dict[str, tuple[str, ...]]) -> Callable[[Run], c.Command]:
    def at_deadline(run: Run) -> c.Command:
        assert run.state.deadline is not None
        run.until(run.state.deadline)
        return c.Tick(actor=SYSTEM, bids=bids(plan), signed_in=())

    return at_deadline


def _tick_at_window_end(run: Run) -> c.Command:
    assert run.state.ends_at is not None
    run.until(run.state.ends_at)
    return c.Tick(actor=SYSTEM, summaries=run.summaries())


def _decide_last(choice: QuorumChoice, plan: dict[str, tuple[str, ...]]) -> Callable[[], Run]:
    def setup() -> Run:
        run = run_to(Phase.SCHEDULED)
        run.pass_deadline(plan)
        for lot in run.state.pending_quorum[:-1]:
            run.do(c.DecideQuorum(actor=HOST, lot=lot, choice=choice, reason="依法处理"))
        return run

    return setup


def _decrypting_all() -> Run:
    run = run_to(Phase.DECRYPTION).sign_in("C").decrypt_all()
    return run


def _all_but_last_result() -> Run:
    run = run_to(Phase.EVALUATION)
    run.do(_result(run, "L1"))
    return run


def _scheduled() -> Run:
    return run_to(Phase.SCHEDULED)


def _phase(phase: Phase) -> Callable[[], Run]:
    return lambda: run_to(phase)


# (phase, trigger as the table words it) -> how to reach that state, and the command.
PLAYS: dict[tuple[str, str], tuple[Callable[[], Run], Callable[[Run], c.Command]]] = {
    ("unscheduled", "create the tender (`POST /api/tenders`)"): (
        _phase(Phase.UNSCHEDULED),
        lambda run: schedule_command(),
    ),
    ("scheduled", "`reschedule` (a later deadline only)"): (
        _scheduled,
        lambda run: c.Reschedule(
            actor=HOST,
            deadline=(run.state.deadline or run.now) + timedelta(days=1),
            reason="答疑延期",
        ),
    ),
    ("scheduled", "tick at the deadline, every lot 3 or more bids"): (
        _scheduled,
        _tick_at_deadline(FULL),
    ),
    ("scheduled", "tick at the deadline, a lot with 1 or 2 bids"): (
        _scheduled,
        _tick_at_deadline(THIN),
    ),
    ("scheduled", "tick at the deadline, no bids"): (_scheduled, _tick_at_deadline({})),
    ("quorum_decision", "`decide_quorum`, the last lot waiting, some lot goes on"): (
        _decide_last(QuorumChoice.CONTINUE, {"L1": ("A", "B"), "L2": ("A",)}),
        lambda run: c.DecideQuorum(
            actor=HOST,
            lot=run.state.pending_quorum[-1],
            choice=QuorumChoice.STOP,
            reason="重新招标",
        ),
    ),
    ("quorum_decision", "`decide_quorum`, the last lot waiting, every lot stopped"): (
        _decide_last(QuorumChoice.STOP, {"L1": ("A", "B"), "L2": ("A",)}),
        lambda run: c.DecideQuorum(
            actor=HOST,
            lot=run.state.pending_quorum[-1],
            choice=QuorumChoice.STOP,
            reason="重新招标",
        ),
    ),
    ("opening", "`start_decryption` (the window starts)"): (
        _phase(Phase.OPENING),
        _host("start_decryption"),
    ),
    ("opening", "`sign-in`"): (
        _phase(Phase.OPENING),
        _bidder(lambda name: c.SignIn(actor=bidder(name), bidder=name)),
    ),
    ("decryption", "`data-key` that opens the bid"): (
        _phase(Phase.DECRYPTION),
        _bidder(lambda name: c.RecordDecryption(actor=bidder(name), bidder=name, lot="L1"), "A"),
    ),
    ("decryption", "`extend_decryption`"): (
        _phase(Phase.DECRYPTION),
        lambda run: c.ExtendDecryption(actor=HOST, **_extension(), reason="网络故障"),
    ),
    ("decryption", "`record_platform_fault`"): (
        _phase(Phase.DECRYPTION),
        _host("record_platform_fault", bidder=None, reason="平台故障"),
    ),
    ("decryption", "`pause`"): (_phase(Phase.DECRYPTION), _host("pause", reason="网络故障")),
    ("decryption", "`object`"): (
        _phase(Phase.DECRYPTION),
        _bidder(
            lambda name: c.RaiseObjection(actor=bidder(name), bidder=name, lot=None, text="异议"),
            "A",
        ),
    ),
    ("decryption", "`close_decryption`"): (
        _decrypting_all,
        lambda run: c.CloseDecryption(actor=HOST, summaries=run.summaries()),
    ),
    ("decryption", "tick at the window's end"): (_decrypting_all, _tick_at_window_end),
    ("confirmation", "`confirm`"): (
        _phase(Phase.CONFIRMATION),
        _bidder(lambda name: c.Confirm(actor=bidder(name), bidder=name), "B"),
    ),
    ("confirmation", "`answer_objection`"): (
        lambda: _with_objection(run_to(Phase.CONFIRMATION)),
        _host("answer_objection", objection_id="O2", text="已核实"),
    ),
    ("confirmation", "`close_confirmation` (once every bidder has confirmed)"): (
        lambda: run_to(Phase.CONFIRMATION).confirm("A", "B", "C"),
        _host("close_confirmation"),
    ),
    ("confirmation", "tick at the window's end"): (
        _phase(Phase.CONFIRMATION),
        lambda run: _tick_at_window_end(run),
    ),
    ("record_due", "`publish_record`"): (
        _phase(Phase.RECORD_DUE),
        lambda run: c.PublishRecord(actor=HOST, sha256="ab" * 32, signature="c2ln"),
    ),
    ("closed", "`set_evaluation_stage`"): (
        _phase(Phase.CLOSED),
        _host("set_evaluation_stage", stage=EvaluationStage.QUALIFICATION.value),
    ),
    ("evaluation", "`publish_result`, not the last lot"): (
        _phase(Phase.EVALUATION),
        lambda run: _result(run, "L1"),
    ),
    ("evaluation", "`publish_result`, the last lot"): (
        _all_but_last_result,
        lambda run: _result(run, "L2"),
    ),
    ("result_published", "`object_to_result` (during the lot's publicity)"): (
        _phase(Phase.RESULT_PUBLISHED),
        lambda run: c.RaiseResultObjection(actor=bidder("C"), bidder="C", lot="L1", text="异议"),
    ),
    ("result_published", "`answer_result_objection`"): (
        lambda: run_to(Phase.RESULT_PUBLISHED).object_to_result("C", "L1"),
        _host("answer_result_objection", objection_id="R1", text="维持原结果"),
    ),
    ("decryption", "`abort` (likewise in every phase but the three final ones)"): (
        _phase(Phase.DECRYPTION),
        _host("abort", reason="招标文件需澄清"),
    ),
}


def _extension() -> dict[str, int]:
    """The extension field as the command declares it (whole minutes, or seconds)."""
    fields = c.ExtendDecryption.__dataclass_fields__
    return {"seconds": 600} if "seconds" in fields else {"minutes": 10}


def _with_objection(run: Run) -> Run:
    run.do(c.RaiseObjection(actor=bidder("C"), bidder="C", lot=None, text="唱标有误"))
    return run


def _result(run: Run, lot: str) -> c.Command:
    """A result naming every opened bid of `lot`: the first two ranked, a reason for the rest."""
    opened = tuple(run.state.opened_bidders(lot))
    return c.PublishResult(
        actor=HOST,
        lot=lot,
        outcome=ResultOutcome.CANDIDATES,
        candidates=tuple(Candidate(bidder=name) for name in opened[:2]),
        reasons={
            name: Reason(disposition=Disposition.NOT_RANKED, text="评审得分较低")
            for name in opened[2:]
        },
        publicity_days=3,
        sha256="ab" * 32,
        signature="c2ln",
    )


def _play(phase: str, trigger: str) -> Row:
    setup, make = PLAYS[(phase, trigger)]
    run = setup()
    assert run.state.phase == phase, (phase, trigger, run.state.phase)
    command = make(run)
    events = run.do(command)
    rule = RULES[type(command)]
    assert Phase(phase) in rule.phases, f"{command.name} is not accepted in {phase}"
    return (
        phase,
        trigger,
        WHO[rule.who],
        run.state.phase.value,
        _once_each(event.kind for event in events),
    )


def _once_each(kinds: Iterable[str]) -> tuple[str, ...]:
    """Kinds in order, a run of the same kind (one per lot) listed once, as the table does."""
    out: list[str] = []
    for kind in kinds:
        if not out or out[-1] != kind:
            out.append(kind)
    return tuple(out)


def test_every_row_of_the_phase_table_is_what_the_core_does() -> None:
    rows = _doc_rows()
    assert [(r[0], r[1]) for r in rows] == list(PLAYS), "the table and this test list other rows"
    for row in rows:
        assert _play(row[0], row[1]) == row


def test_every_phase_and_every_phase_changing_command_appears_in_the_table() -> None:
    rows = _doc_rows()
    phases = {r[0] for r in rows} | {r[3] for r in rows}
    assert phases == {phase.value for phase in Phase}
    changing = {(r[0], r[3]) for r in rows if r[0] != r[3]}
    # Every phase but the final ones is left by some row of the table.
    final = {"result_published", "stopped", "aborted"}
    assert {start for start, _ in changing} == {phase.value for phase in Phase} - final
