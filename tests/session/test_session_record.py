"""The opening record: complete, deterministic, and unchanged by what happens after it is signed."""

import json
from typing import Any

import pytest
from session_kit import HOST, SYSTEM, THIN, Run, bidder, org, run_to

from bidopen.session import Leaves, Phase, build_record, replay
from bidopen.session import commands as c
from bidopen.session.errors import SessionError
from bidopen.session.events import event_from_payload
from bidopen.session.values import EvaluationStage, QuorumChoice
from bidseal.statements import readout_sha256


def _busy_opening() -> Run:
    """An opening with a bit of everything the record must show."""
    run = Run().schedule().pass_deadline(THIN, signed_in=("A", "B"))
    run.do(c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.CONTINUE, reason="依法继续"))
    run.start().sign_in("C")
    run.do(c.RaiseObjection(actor=bidder("C"), bidder="C", lot="L2", text="签到延迟"))
    run.decrypt(("L1", "A"), ("L2", "A"), ("L2", "B"))
    run.do(c.RecordDecryptionFailure(actor=bidder("B"), bidder="B", lot="L1", reason_code="bad"))
    run.do(c.RecordPlatformFault(actor=SYSTEM, bidder="C", reason="C连接中断"))
    run.do(c.ExtendDecryption(actor=HOST, seconds=600, reason="故障补时"))
    run.do(c.Pause(actor=HOST, reason="排查故障"))
    run.wait(4).do(c.Resume(actor=HOST))
    assert run.state.ends_at is not None
    run.until(run.state.ends_at).tick(summaries=run.summaries())
    run.confirm("A")
    run.do(c.AnswerObjection(actor=HOST, objection_id="O1", text="已补时"))
    return run.end_confirmation()


def test_the_record_holds_every_part_of_the_opening() -> None:
    record: Any = build_record(_busy_opening().state)
    assert record["format"] == "bidopen-opening-record/4"
    assert record["tender"]["code"] == "ZB-2026-001"
    assert record["quorum_warnings"] == ["L1"]
    assert [(q["lot"], q["choice"], q["reason"]) for q in record["quorum_decisions"]] == [
        ("L1", "continue", "依法继续")
    ]
    statuses = {(b["lot"], b["bidder"]): (b["status"], b["cause"]) for b in record["bids"]}
    assert statuses == {
        ("L1", "A"): ("opened", "decrypted"),
        ("L1", "B"): ("revoked", "key_rejected"),
        ("L2", "A"): ("opened", "decrypted"),
        ("L2", "B"): ("opened", "decrypted"),
        ("L2", "C"): ("withdrawn", "platform_fault"),
    }
    assert [e["seconds"] for e in record["extensions"]] == [600]
    assert [(p["phase"], p["reason"]) for p in record["pauses"]] == [("decryption", "排查故障")]
    assert record["pauses"][0]["ended_at"] is not None
    assert [(f["bidder"], f["reported_by"]) for f in record["platform_faults"]] == [("C", "system")]
    assert [(o["id"], o["answer"]) for o in record["objections"]] == [("O1", "已补时")]
    assert [entry["bidder"] for entry in record["confirmed"]] == ["A"]
    assert record["deemed_accepted"] == ["B", "C"]
    lines = {
        (lot["lot"], line["bidder"]): line for lot in record["readout"] for line in lot["lines"]
    }
    assert lines[("L1", "A")]["items"]["duration_days"] == "180"
    assert lines[("L1", "B")]["items"] is None
    assert all(record["times"][name] for name in record["times"])
    assert record["aborted"] is None


def test_the_record_names_every_bidder_by_id_and_organisation() -> None:
    run = _busy_opening()
    record: Any = build_record(run.state)
    assert [(b["lot"], b["bidder"], b["bidder_name"]) for b in record["bids"]] == [
        ("L1", "A", org("A")),
        ("L1", "B", org("B")),
        ("L2", "A", org("A")),
        ("L2", "B", org("B")),
        ("L2", "C", org("C")),
    ]
    lines = [line for lot in record["readout"] for line in lot["lines"]]
    assert [(line["bidder"], line["bidder_name"]) for line in lines] == [
        (b["bidder"], b["bidder_name"]) for b in record["bids"]
    ]
    assert [(o["bidder"], o["bidder_name"]) for o in record["objections"]] == [("C", org("C"))]


def test_equal_logs_give_byte_equal_records() -> None:
    run = _busy_opening()
    stored = [(event.kind, json.dumps(event.to_payload())) for event in run.log]
    replayed = replay(event_from_payload(kind, json.loads(text)) for kind, text in stored)
    first = json.dumps(build_record(run.state), ensure_ascii=False)
    assert json.dumps(build_record(replayed), ensure_ascii=False) == first
    assert json.dumps(build_record(run.state), ensure_ascii=False) == first


def test_the_signed_record_does_not_change_after_publication() -> None:
    run = run_to(Phase.RECORD_DUE)
    signed = build_record(run.state)
    run.publish_record()
    assert build_record(run.state) == signed
    run.stage(*EvaluationStage).result("L1", ("A", "B")).result("L2", ("B", "A"))
    assert run.state.phase is Phase.RESULT_PUBLISHED
    assert build_record(run.state) == signed


def test_no_record_for_a_session_that_does_not_exist() -> None:
    with pytest.raises(SessionError) as caught:
        build_record(run_to(Phase.UNSCHEDULED).state)
    assert caught.value.code == "illegal_in_phase"


def test_the_record_lists_each_bidders_signature_and_its_leaves() -> None:
    run = Run().schedule().pass_deadline(THIN, signed_in=("A", "B", "C"))
    run.do(c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.CONTINUE, reason="依法继续"))
    run.start()
    run.do(
        c.RaiseObjection(
            actor=bidder("C"), bidder="C", lot=None, text="异议", nonce="n" * 22, signature="sigC"
        )
    )
    # The same nonce again is a replay of that objection, not a new one.
    with pytest.raises(SessionError) as refused:
        run.do(
            c.RaiseObjection(
                actor=bidder("C"),
                bidder="C",
                lot=None,
                text="异议",
                nonce="n" * 22,
                signature="sigC",
            )
        )
    assert refused.value.code == "objection_repeated"
    run.decrypt(("L1", "A"), ("L2", "A"), ("L2", "B"))
    assert run.state.ends_at is not None
    run.until(run.state.ends_at).tick(summaries=run.summaries())
    run.do(c.AnswerObjection(actor=HOST, objection_id="O1", text="已答复"))
    run.do(c.Confirm(actor=bidder("A"), bidder="A", signature="sigA"))
    run.end_confirmation()
    record: Any = build_record(run.state, Leaves((3, 5, 8), (0, 1)))
    assert record["confirmed"][0]["signature"] == "sigA"
    assert (record["objections"][0]["nonce"], record["objections"][0]["signature"]) == (
        "n" * 22,
        "sigC",
    )
    assert record["leaves"] == {"events": [3, 5, 8], "bids": [0, 1]}
    assert record["readout_sha256"] == readout_sha256(record["readout"])


def test_confirmations_and_objections_logged_before_bidders_signed_still_replay() -> None:
    old_confirmation = event_from_payload(
        "bidder_confirmed", {"at": "2026-01-02T03:04:05.000000Z", "bidder": "A"}
    )
    assert old_confirmation.to_payload()["signature"] == ""
    old_objection = event_from_payload(
        "objection_raised",
        {
            "at": "2026-01-02T03:04:05.000000Z",
            "objection_id": "O1",
            "bidder": "A",
            "lot": None,
            "text": "异议",
        },
    )
    assert (old_objection.to_payload()["nonce"], old_objection.to_payload()["signature"]) == (
        "",
        "",
    )
