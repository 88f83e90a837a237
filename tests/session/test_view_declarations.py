"""Every view the core builds is exactly its role's and stage's declaration (protocol.md 5.5).

Sessions are driven through the real decide and evolve; after every command each role's
view is converted into the declaration `view_type` names for it (closed Structs: no member
beyond those declared, none missing), and the snapshot carrying it is validated against the
published schema of `SnapshotMessage`, whose `view` is one of the nine views.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import msgspec
import pytest
from session_kit import (
    FULL,
    HOST,
    SHA,
    SIG,
    THIN,
    Run,
    bidder,
    run_to,
    schedule_command,
)

from bidopen.session import Phase, bidder_view, host_view, public_view
from bidopen.session import commands as c
from bidopen.session.codec import JSON
from bidopen.session.events import Event
from bidopen.session.values import (
    Disposition,
    EvaluationStage,
    Lot,
    QuorumChoice,
    Reason,
    ResultOutcome,
    TenderParties,
)
from bidopen.wire.messages import SnapshotMessage
from bidopen.wire.views import ALL_VIEWS, VIEWS, view_type
from contract_watch import MISMATCHES, check_snapshot

SCHEMA = Path(__file__).resolve().parents[2] / "docs/schemas/answers/SnapshotMessage.json"
PUBLISHED = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text(encoding="utf-8")))
# A, B and C bid in the fixtures; Z is a bidder with no bid here.
BIDDERS = ("A", "B", "C", "Z")


def role_views(run: Run) -> list[tuple[str, dict[str, JSON]]]:
    state = run.state
    return [
        ("public", public_view(state)),
        ("host", host_view(state)),
        *(("bidder", bidder_view(state, name)) for name in BIDDERS),
    ]


def held(run: Run) -> set[str]:
    """The declarations the run's views were held to; fails on the first view off its own."""
    names: set[str] = set()
    for role, view in role_views(run):
        declared = view_type(role, view)
        msgspec.convert(view, declared)  # raises on a member extra, missing or mistyped
        snapshot = {"seq": run.state.seq, "role": role, "view": view}
        msgspec.convert(snapshot, SnapshotMessage)
        errors = [str(error) for error in PUBLISHED.iter_errors(snapshot)]
        assert errors == [], (role, declared.__name__, errors[:3])
        names.add(declared.__name__)
    return names


@dataclass
class CheckedRun(Run):
    """A run that holds every role's view to its declaration after each command."""

    seen: set[str] = field(default_factory=set)

    def do(self, command: c.Command) -> list[Event]:
        events = super().do(command)
        self.seen |= held(self)
        return events


def test_every_view_of_a_whole_opening_is_its_declaration() -> None:
    """Rescheduled, a lot stopped, faults, an extension, a paused window, objections before
    and after the read-out, the record, the evaluation, a result and objections to it."""
    run = CheckedRun()
    lots = (
        Lot(id="L1", name="一标段 施工", ceiling="8650000.00"),
        Lot(id="L2", name="二标段 监理"),
    )
    parties = TenderParties(tenderer="某市交通局", agency="某招标代理有限公司")
    run.do(schedule_command(lots=lots, parties=parties))
    assert run.state.deadline is not None
    later = run.state.deadline + timedelta(days=1)
    run.wait(10).do(c.Reschedule(actor=HOST, deadline=later, reason="答疑澄清 / clarification"))
    run.pass_deadline(THIN, signed_in=("A", "B")).wait(1)
    assert run.state.phase is Phase.QUORUM_DECISION
    run.do(c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.STOP, reason="不足三家"))
    run.start().wait(1)
    run.do(c.RaiseObjection(actor=bidder("B"), bidder="B", lot="L2", text="解密页面无响应"))
    run.do(c.RecordDecryptionFailure(actor=bidder("A"), bidder="A", lot="L2", reason_code="bad"))
    run.do(c.RecordPlatformFault(actor=HOST, bidder="C", reason="CA 服务中断"))
    run.do(c.RecordPlatformFault(actor=HOST, bidder=None, reason="机房断电"))
    run.do(c.ExtendDecryption(actor=HOST, seconds=600, reason="平台故障 / platform fault"))
    run.do(c.Pause(actor=HOST, reason="网络故障 / network outage"))
    assert run.state.paused
    run.wait(2).do(c.Resume(actor=HOST))
    run.do(c.AnswerObjection(actor=HOST, objection_id="O1", text="已恢复"))
    run.decrypt(("L2", "A"), ("L2", "B"))
    assert run.state.ends_at is not None
    run.until(run.state.ends_at).tick(summaries=run.summaries())
    assert run.state.phase is Phase.CONFIRMATION and run.state.read_out_at is not None
    run.sign_in("C")
    run.do(c.RaiseObjection(actor=bidder("C"), bidder="C", lot=None, text="断电致未解密"))
    run.confirm("A").do(c.Pause(actor=HOST, reason="核查异议 / checking an objection"))
    run.wait(1).do(c.Resume(actor=HOST))
    run.do(c.AnswerObjection(actor=HOST, objection_id="O2", text="按视为撤回处理"))
    run.end_confirmation().publish_record().stage(*EvaluationStage)
    run.result("L2", ("A",))
    assert run.state.phase is Phase.RESULT_PUBLISHED
    run.do(c.RaiseResultObjection(actor=bidder("B"), bidder="B", lot="L2", text="业绩不实"))
    run.do(c.RaiseResultObjection(actor=bidder("C"), bidder="C", lot="L2", text="报价有误"))
    run.wait(60 * 24 * 4).answer_result_objection("R1")
    assert run.state.result_objections["R1"].late
    # Every role at every stage was seen, and nothing was refused.
    assert run.seen == {view.__name__ for view in ALL_VIEWS}


def test_a_failed_lot_a_stopped_session_and_aborted_ones_have_their_views() -> None:
    run = CheckedRun()
    run.schedule().pass_deadline(FULL, signed_in=("A", "B", "C")).start()
    run.decrypt(("L1", "A")).wait(31)
    run.tick(summaries=run.summaries())
    run.confirm("A", "B", "C").do(c.CloseConfirmation(actor=HOST))
    run.publish_record().stage(*EvaluationStage)
    reason = Reason(disposition=Disposition.REJECTED, clause="第3.2条", text="资格不符")
    run.do(
        c.PublishResult(
            actor=HOST,
            lot="L1",
            outcome=ResultOutcome.FAILED,
            candidates=(),
            reasons={"A": reason},
            failure="有效投标不足三家 / fewer than three valid bids",
            publicity_days=3,
            sha256=SHA,
            signature=SIG,
        )
    )
    assert run.state.results["L1"].outcome is ResultOutcome.FAILED
    assert "HostViewFromReadOut" in run.seen

    stopped = run_to(Phase.STOPPED)
    assert held(stopped) == {
        "PublicViewFromDeadline",
        "HostViewFromDeadline",
        "BidderViewFromDeadline",
    }
    before = held(run_to(Phase.ABORTED))
    assert before == {
        "PublicViewBeforeDeadline",
        "HostViewBeforeDeadline",
        "BidderViewBeforeDeadline",
    }
    during = run_to(Phase.DECRYPTION, paused=True)
    during.do(c.Abort(actor=HOST, reason="系统故障 / system failure"))
    assert during.state.phase is Phase.ABORTED
    assert held(during) == {
        "PublicViewFromDeadline",
        "HostViewFromDeadline",
        "BidderViewFromDeadline",
    }


def _public_view_after_deadline() -> dict[str, Any]:
    run = run_to(Phase.DECRYPTION)
    view: dict[str, Any] = public_view(run.state)
    assert view_type("public", view).__name__ == "PublicViewFromDeadline"
    return view


def _refusals(role: str, view: dict[str, Any]) -> tuple[str, bool]:
    """What the declaration says of `view`, and whether the published schema accepts it."""
    try:
        msgspec.convert(view, view_type(role, view))
    except msgspec.ValidationError as error:
        refused = str(error)
    else:
        refused = ""
    return refused, PUBLISHED.is_valid({"seq": 1, "role": role, "view": view})


def test_a_view_with_a_member_extra_or_missing_is_refused() -> None:
    good = _public_view_after_deadline()
    assert _refusals("public", good) == ("", True)

    extra = {**good, "bids": []}
    assert _refusals("public", extra) == ("Object contains unknown field `bids`", False)
    missing = {key: value for key, value in good.items() if key != "confirmed_count"}
    assert _refusals("public", missing) == (
        "Object missing required field `confirmed_count`",
        False,
    )
    # A hall row that names its bidder before the read-out is off its declaration.
    named = {**good, "hall": [{**good["hall"][0], "bidder": "A"}, *good["hall"][1:]]}
    assert _refusals("public", named) == (
        "Object contains unknown field `bidder` - at `$.hall[0]`",
        False,
    )
    # The public's view is not the host's.
    assert _refusals("host", good)[0].startswith("Object missing required field")
    mistyped = {**good, "phase": "opened"}
    assert "Invalid enum value 'opened'" in _refusals("public", mistyped)[0]


def test_the_watch_holds_a_snapshots_view_to_its_role_and_stage() -> None:
    good = _public_view_after_deadline()
    before = len(MISMATCHES)
    check_snapshot({"seq": 9, "role": "public", "view": good}, SnapshotMessage, "test")
    assert MISMATCHES[before:] == []
    check_snapshot({"seq": 9, "role": "public", "view": {**good, "x": 1}}, SnapshotMessage, "t")
    check_snapshot({"seq": 9, "role": "host", "view": good}, SnapshotMessage, "test")
    found = MISMATCHES[before:]
    del MISMATCHES[before:]
    assert len(found) == 2, found
    assert "t view: PublicViewFromDeadline: Object contains unknown field `x`" in found[0]
    assert "test view: HostViewFromDeadline: Object missing required field" in found[1]


def test_view_type_reads_the_stage_from_the_keys_and_refuses_an_unknown_role() -> None:
    assert view_type("bidder", {}) is VIEWS["bidder"][0]
    assert view_type("bidder", {"lot_progress": []}) is VIEWS["bidder"][1]
    assert view_type("bidder", {"lot_progress": [], "read_out_at": "…"}) is VIEWS["bidder"][2]
    with pytest.raises(ValueError, match="role must be one of public, bidder, host"):
        view_type("judge", {})
