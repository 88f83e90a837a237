"""Peak resident memory of the processes of a run, read from the kernel's high-water marks."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def own_peak_kib() -> int:
    """This process's peak RSS in KiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def process_peak_kib(pid: int) -> int | None:
    """Another live process's peak RSS (VmHWM), or None where /proc does not tell."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def to_mib(kib: int) -> float:
    return round(kib / 1024, 1)
