"""Peak memory and CPU time of the processes of a run, as the kernel counts them."""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path


def own_peak_kib() -> int:
    """This process's peak RSS in KiB.

    VmHWM where Linux has it: ru_maxrss also counts the parent's pages a forked child held
    before it exec'd, which would charge every worker with its parent's size.
    """
    peak = process_peak_kib(os.getpid())
    if peak is not None:
        return peak
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage // 1024 if sys.platform == "darwin" else usage  # bytes on macOS


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


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of another live process, or None where /proc does not tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name may hold spaces; the fields after its closing parenthesis do not.
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return ticks / os.sysconf("SC_CLK_TCK")
