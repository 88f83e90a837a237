"""Latency figures of a run: percentiles over viewer arrival times."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (p99 of 100 values is the 99th)."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction {fraction} is outside (0, 1]")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class Spread:
    """How long after a reference instant a crowd received something, in milliseconds."""

    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def after(cls, reference_ns: int, arrivals_ns: Sequence[int]) -> Spread | None:
        if not arrivals_ns:
            return None
        delays = sorted((arrival - reference_ns) / 1e6 for arrival in arrivals_ns)
        return cls(
            count=len(delays),
            p50_ms=round(percentile(delays, 0.50), 1),
            p99_ms=round(percentile(delays, 0.99), 1),
            max_ms=round(delays[-1], 1),
        )
