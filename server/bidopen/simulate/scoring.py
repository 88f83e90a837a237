"""Turning what a run saw into its report, and the checks that make a run good or not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bidopen.client import EventMessage, SignedDocument
from bidopen.clock import parse_iso
from bidopen.simulate.options import READ_OUT, RECORD_PUBLISHED, SimulationOptions
from bidopen.simulate.report import RecordCheck, SimulationReport, count_outcomes
from bidopen.simulate.stats import Spread
from bidopen.simulate.viewer_pool import CrowdReport
from bidopen.store.eventlog import StoredEvent


@dataclass(frozen=True)
class Observations:
    """Everything a run brings back: the host's events, the record, the crowd."""

    feed: tuple[EventMessage, ...]
    record: RecordCheck
    crowd: CrowdReport
    viewers_joined: int
    expected_outcomes: Mapping[str, int]

    def one(self, kind: str) -> EventMessage:
        for message in self.feed:
            if message.kind == kind:
                return message
        raise LookupError(f"the host never saw {kind}")

    def count(self, kind: str) -> int:
        return sum(1 for message in self.feed if message.kind == kind)


def check_record(
    record: SignedDocument,
    read_out: EventMessage,
    published: EventMessage,
    log: Sequence[StoredEvent],
) -> RecordCheck:
    """Does the signed record say what was read out, and is it the one the log published?"""
    logged = [event for event in log if event.kind == "record_published"]
    matches_log = (
        bool(logged)
        and logged[-1].payload.get("sha256") == record.sha256
        and published.data.get("sha256") == record.sha256
    )
    matches_readout = record.payload.get("readout") == read_out.data.get("lots")
    # SignedDocument exists only for a signature that verified with the hub's key.
    return RecordCheck(record.sha256, True, matches_readout, matches_log)


def score(
    options: SimulationOptions,
    tender_id: str,
    seen: Observations,
    *,
    server: str,
    phase_ms: Mapping[str, float],
    rss_kib: Mapping[str, int | None],
    cpu_s: Mapping[str, float | None],
    problems: Sequence[str],
) -> SimulationReport:
    found = list(problems)
    deadline = seen.one("deadline_passed")
    read_out = seen.one("read_out")
    outcomes = count_outcomes(seen.one("decryption_closed").data.get("outcomes", []))
    confirmation = seen.one("confirmation_closed")
    for status, number in seen.expected_outcomes.items():
        if outcomes.get(status) != number:
            found.append(f"expected {number} {status} bids, found {outcomes.get(status)}")
    if not seen.record.matches_readout:
        found.append("the record's read-out differs from the read-out event")
    if not seen.record.matches_log:
        found.append("the record's hash differs from the logged publication")
    digests = seen.crowd.digests[READ_OUT]
    if len(digests) > 1:
        found.append(f"viewers received {len(digests)} different read-outs")
    read_out_at = parse_iso(str(read_out.data["at"]))
    arrivals = seen.crowd.arrivals_ns[READ_OUT]
    counts: dict[str, Any] = dict(deadline.data.get("counts", {}))
    return SimulationReport(
        bidders=options.bidders,
        viewers=options.viewers,
        failing=options.failing,
        objecting=options.objecting,
        server=server,
        tender=tender_id,
        bids_received=sum(int(n) for n in counts.values()),
        outcomes=outcomes,
        objections_raised=seen.count("objection_raised"),
        objections_answered=seen.count("objection_answered"),
        confirmed=len(confirmation.data.get("confirmed", [])),
        deemed_accepted=len(confirmation.data.get("deemed_accepted", [])),
        record=seen.record,
        viewers_joined=seen.viewers_joined,
        viewers_with_readout=len(arrivals),
        viewers_with_record=len(seen.crowd.arrivals_ns[RECORD_PUBLISHED]),
        readout_variants=len(digests),
        deadline_to_readout_ms=round(
            (read_out_at - parse_iso(str(deadline.data["deadline"]))).total_seconds() * 1000, 1
        ),
        # The hub stamps the read-out when it decides it; viewers stamp arrival. Same clock
        # when the hub runs on this machine; with --url, clock offset adds in.
        readout_spread=Spread.after(int(read_out_at.timestamp() * 1e9), arrivals),
        phase_ms=dict(phase_ms),
        rss_kib=dict(rss_kib),
        cpu_s=dict(cpu_s),
        problems=tuple(found),
    )
