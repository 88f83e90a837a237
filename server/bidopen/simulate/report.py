"""The JSON report of one simulated opening, built from what the parties saw."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bidopen.simulate.stats import Spread

BID_STATUSES = ("opened", "revoked", "withdrawn")


def count_outcomes(outcomes: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many bids ended opened, revoked (bidder's fault) or withdrawn (platform's fault)."""
    counts = dict.fromkeys(BID_STATUSES, 0)
    for outcome in outcomes:
        status = str(outcome.get("status"))
        counts[status] = counts.get(status, 0) + 1
    return counts


@dataclass(frozen=True)
class RecordCheck:
    """The published record: its hash, whether it verifies, whether it says what was seen."""

    sha256: str | None
    signature_valid: bool
    matches_readout: bool
    matches_log: bool


@dataclass(frozen=True)
class SimulationReport:
    bidders: int
    viewers: int
    failing: int
    objecting: int
    server: str
    tender: str | None
    bids_received: int
    outcomes: Mapping[str, int]
    objections_raised: int
    objections_answered: int
    confirmed: int
    deemed_accepted: int
    record: RecordCheck
    viewers_joined: int
    viewers_with_readout: int
    viewers_with_record: int
    readout_variants: int
    deadline_to_readout_ms: float | None
    readout_spread: Spread | None
    phase_ms: Mapping[str, float]
    rss_kib: Mapping[str, int | None]
    cpu_s: Mapping[str, float | None]
    problems: tuple[str, ...]
    machine: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        spread = self.readout_spread
        known = [kib for kib in self.rss_kib.values() if kib is not None]
        return {
            "ok": self.ok,
            "bidders": self.bidders,
            "viewers": self.viewers,
            "fail": self.failing,
            "object": self.objecting,
            "server": self.server,
            "tender": self.tender,
            "bids": {"received": self.bids_received, **dict(self.outcomes)},
            "objections": {
                "raised": self.objections_raised,
                "answered": self.objections_answered,
            },
            "confirmations": {"confirmed": self.confirmed, "deemed_accepted": self.deemed_accepted},
            "record": {
                "sha256": self.record.sha256,
                "signature_valid": self.record.signature_valid,
                "matches_readout": self.record.matches_readout,
                "matches_log": self.record.matches_log,
            },
            "viewers_joined": self.viewers_joined,
            "viewers_with_readout": self.viewers_with_readout,
            "viewers_with_record": self.viewers_with_record,
            "readout_variants": self.readout_variants,
            "timings_ms": {
                "deadline_to_readout": self.deadline_to_readout_ms,
                "readout_to_viewer_p50": None if spread is None else spread.p50_ms,
                "readout_to_viewer_p99": None if spread is None else spread.p99_ms,
                "readout_to_last_viewer": None if spread is None else spread.max_ms,
                **{name: round(ms, 1) for name, ms in self.phase_ms.items()},
            },
            # The sum of each process's own peak: an upper bound of the run's peak footprint.
            "peak_rss_mib": round(sum(known) / 1024, 1),
            "rss_mib": {
                name: None if kib is None else round(kib / 1024, 1)
                for name, kib in self.rss_kib.items()
            },
            "machine": dict(self.machine),
            # CPU seconds each part used (the hub's counts from its start): where time went.
            "cpu_s": {
                name: None if seconds is None else round(seconds, 2)
                for name, seconds in self.cpu_s.items()
            },
            "problems": list(self.problems),
        }


def summarize(reports: Sequence[SimulationReport]) -> dict[str, Any]:
    """Several runs: each report, and the median of each read-out figure across them."""
    each = [report.to_json() for report in reports]
    medians: dict[str, float | None] = {}
    for name in ("readout_to_viewer_p50", "readout_to_viewer_p99", "readout_to_last_viewer"):
        values = sorted(v for r in each if (v := r["timings_ms"][name]) is not None)
        medians[name] = round(statistics.median(values), 1) if values else None
    return {
        "ok": all(report.ok for report in reports),
        "runs": len(reports),
        "median_ms": medians,
        "peak_rss_mib": max(r["peak_rss_mib"] for r in each),
        "reports": each,
    }
