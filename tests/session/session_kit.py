"""Builders for session-core tests: a clock, actors, and runs that reach each phase for real."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bidopen.session import EMPTY, OpeningSession, Phase, decide, evolve
from bidopen.session import commands as c
from bidopen.session.events import Event
from bidopen.session.values import (
    Actor,
    BidEntry,
    Candidate,
    Disposition,
    EvaluationStage,
    Lot,
    QuorumChoice,
    ReadoutItem,
    Reason,
    ResultOutcome,
    Role,
)

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(hours=2)
# A host acts for its organisation: the actor's id is the organisation's id.
HOST = Actor(role=Role.HOST, id="org-1")
OTHER_HOST = Actor(role=Role.HOST, id="org-2")
SYSTEM = Actor(role=Role.SYSTEM, id="scheduler")
PUBLIC = Actor(role=Role.PUBLIC, id="screen-1")
LOTS = (Lot(id="L1", name="一标段 施工"), Lot(id="L2", name="二标段 监理"))
ITEMS = (
    ReadoutItem(key="price", label_zh="投标报价（元）", label_en="Bid price (CNY)"),
    ReadoutItem(key="duration_days", label_zh="工期（日历天）", label_en="Duration (days)"),
)
SIG = "c2lnbmF0dXJl"
SHA = "ab" * 32


def bidder(name: str) -> Actor:
    return Actor(role=Role.BIDDER, id=name)


def org(name: str) -> str:
    """The organisation test bidder `name` registered as (what the app reads at the deadline)."""
    return f"{name}号建设工程有限公司"


def bid(lot: str, name: str, receipt_no: int) -> BidEntry:
    """A bid as logs before `received_at` stored it: numbered by a per-bidder counter."""
    digest = hashlib.sha256(f"{lot}/{name}".encode()).hexdigest()
    return BidEntry(
        lot=lot, bidder=name, bidder_name=org(name), bid_sha256=digest, receipt_no=receipt_no
    )


def received(lot: str, name: str, at: datetime) -> BidEntry:
    """A bid whose last byte arrived `at`."""
    digest = hashlib.sha256(f"{lot}/{name}".encode()).hexdigest()
    return BidEntry(lot=lot, bidder=name, bidder_name=org(name), bid_sha256=digest, received_at=at)


def bids(plan: Mapping[str, tuple[str, ...]]) -> tuple[BidEntry, ...]:
    """Bids from {lot: bidders}, received a minute apart in order of appearance."""
    out: list[BidEntry] = []
    for lot, names in plan.items():
        for name in names:
            out.append(received(lot, name, T0 + timedelta(minutes=len(out) + 1)))
    return tuple(out)


def price(lot: str, name: str) -> dict[str, str]:
    """A distinctive summary per bid, so a leak is easy to spot."""
    return {"price": f"{len(name) * 1000 + len(lot)}.{name}-{lot}", "duration_days": "180"}


def schedule_command(**overrides: object) -> c.ScheduleSession:
    fields: dict[str, object] = {
        "actor": HOST,
        "tender_id": "T-2026-001",
        "code": "ZB-2026-001",
        "title": "市政道路改造工程",
        "host": "host-1",
        "organisation": HOST.id,
        "organisation_name": "某市公共资源交易中心",
        "lots": LOTS,
        "deadline": DEADLINE,
        "signin_opens_at": DEADLINE - timedelta(minutes=30),
        "decryption_seconds": 30 * 60,
        "confirmation_seconds": 15 * 60,
        "readout_items": ITEMS,
    }
    fields.update(overrides)
    return c.ScheduleSession(**fields)  # type: ignore[arg-type]


@dataclass
class Run:
    """A session driven through the real decide and evolve, with its own clock and log."""

    now: datetime = T0
    state: OpeningSession = EMPTY
    log: list[Event] = field(default_factory=list)

    def do(self, command: c.Command) -> list[Event]:
        events = decide(self.state, command, self.now)
        for event in events:
            self.state = evolve(self.state, event)
        self.log.extend(events)
        return events

    def wait(self, minutes: float = 0, *, seconds: float = 0) -> "Run":
        self.now += timedelta(minutes=minutes, seconds=seconds)
        return self

    def until(self, instant: datetime) -> "Run":
        assert instant >= self.now
        self.now = instant
        return self

    def tick(self, **fields: object) -> list[Event]:
        return self.do(c.Tick(actor=SYSTEM, **fields))  # type: ignore[arg-type]

    def kinds(self) -> list[str]:
        return [event.kind for event in self.log]

    def summaries(self) -> dict[tuple[str, str], dict[str, str]]:
        return {
            bid.key: price(bid.lot, bid.bidder)
            for bid in self.state.live_bids
            if bid.decrypted_at is not None
        }

    # Steps of a normal opening, each usable alone.

    def schedule(self, **overrides: object) -> "Run":
        self.do(schedule_command(**overrides))
        return self

    def pass_deadline(
        self, plan: Mapping[str, tuple[str, ...]], signed_in: tuple[str, ...] = ()
    ) -> "Run":
        assert self.state.deadline is not None
        self.until(self.state.deadline)
        self.tick(bids=bids(plan), signed_in=signed_in)
        return self

    def start(self) -> "Run":
        self.wait(1)
        self.do(c.StartDecryption(actor=HOST))
        return self

    def sign_in(self, *names: str) -> "Run":
        for name in names:
            self.do(c.SignIn(actor=bidder(name), bidder=name))
        return self

    def decrypt(self, *pairs: tuple[str, str]) -> "Run":
        for lot, name in pairs:
            self.do(c.RecordDecryption(actor=bidder(name), bidder=name, lot=lot))
        return self

    def decrypt_all(self) -> "Run":
        return self.decrypt(*(bid.key for bid in self.state.live_bids))

    def close_decryption(self) -> "Run":
        self.wait(1)
        self.do(c.CloseDecryption(actor=HOST, summaries=self.summaries()))
        return self

    def confirm(self, *names: str) -> "Run":
        for name in names:
            self.do(c.Confirm(actor=bidder(name), bidder=name))
        return self

    def end_confirmation(self) -> "Run":
        assert self.state.ends_at is not None
        self.until(self.state.ends_at)
        self.tick()
        return self

    def publish_record(self) -> "Run":
        self.wait(1)
        self.do(c.PublishRecord(actor=HOST, sha256=SHA, signature=SIG))
        return self

    def stage(self, *stages: EvaluationStage) -> "Run":
        for stage in stages:
            self.wait(10)
            self.do(c.SetEvaluationStage(actor=HOST, stage=stage))
        return self

    def result(self, lot: str, ranked: tuple[str, ...]) -> "Run":
        """`ranked` are the candidates in rank order; every other opened bid is rejected."""
        opened = self.state.opened_bidders(lot)
        reasons = {
            name: Reason(
                disposition=Disposition.REJECTED, clause="第3.2条", text="未按要求提供投标保证金"
            )
            for name in opened
            if name not in ranked
        }
        self.do(
            c.PublishResult(
                actor=HOST,
                lot=lot,
                outcome=ResultOutcome.CANDIDATES,
                candidates=tuple(Candidate(bidder=name) for name in ranked),
                reasons=reasons,
                publicity_days=3,
                sha256=SHA,
                signature=SIG,
            )
        )
        return self

    def object_to_result(self, name: str, lot: str, text: str = "第一中标候选人业绩不实") -> "Run":
        self.do(c.RaiseResultObjection(actor=bidder(name), bidder=name, lot=lot, text=text))
        return self

    def answer_result_objection(self, objection_id: str, text: str = "经核查，业绩属实") -> "Run":
        self.do(c.AnswerResultObjection(actor=HOST, objection_id=objection_id, text=text))
        return self


FULL: dict[str, tuple[str, ...]] = {"L1": ("A", "B", "C"), "L2": ("A", "B", "C")}
THIN: dict[str, tuple[str, ...]] = {"L1": ("A", "B"), "L2": ("A", "B", "C")}


def run_to(phase: Phase, *, paused: bool = False) -> Run:
    """A run standing in `phase` (optionally paused), reached through real commands.

    Every fixture has bidders A, B, C with bids; A and B signed in before the deadline,
    C did not. The decryption fixture holds objection O1 (unanswered); later ones answered it.
    """
    run = Run()
    if phase is Phase.UNSCHEDULED:
        return run
    run.schedule()
    if phase is Phase.SCHEDULED:
        return run.wait(30)
    if phase is Phase.ABORTED:
        run.wait(30).do(c.Abort(actor=HOST, reason="招标文件需澄清 / tender documents amended"))
        return run
    if phase is Phase.STOPPED:
        return run.pass_deadline({}, signed_in=("A",)).wait(1)
    if phase is Phase.QUORUM_DECISION:
        return run.pass_deadline(THIN, signed_in=("A", "B")).wait(1)
    run.pass_deadline(FULL, signed_in=("A", "B")).wait(1)
    if phase is Phase.OPENING:
        return run
    run.start().wait(1)
    run.do(c.RaiseObjection(actor=bidder("B"), bidder="B", lot=None, text="解密系统无响应"))
    if phase is Phase.DECRYPTION:
        return _maybe_pause(run, paused)
    run.sign_in("C").decrypt_all().close_decryption().wait(1)
    run.do(c.AnswerObjection(actor=HOST, objection_id="O1", text="已恢复，解密有效"))
    if phase is Phase.CONFIRMATION:
        return _maybe_pause(run, paused)
    run.confirm("A").end_confirmation().wait(1)
    if phase is Phase.RECORD_DUE:
        return run
    run.publish_record()
    if phase is Phase.CLOSED:
        return run
    run.stage(*EvaluationStage)
    if phase is Phase.EVALUATION:
        return run
    run.result("L1", ("A", "B")).result("L2", ("B", "A"))
    assert phase is Phase.RESULT_PUBLISHED, phase
    return run


def _maybe_pause(run: Run, paused: bool) -> Run:
    if paused:
        run.do(c.Pause(actor=HOST, reason="网络故障 / network outage"))
        run.wait(1)
    return run


def continue_thin(run: Run) -> Run:
    run.do(c.DecideQuorum(actor=HOST, lot="L1", choice=QuorumChoice.CONTINUE, reason="依法可继续"))
    return run
