"""Raise the open-file limit so that one process can hold thousands of sockets."""

from __future__ import annotations

import resource


def raise_open_files(wanted: int) -> int:
    """Lift the soft RLIMIT_NOFILE towards `wanted` (never above the hard limit); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        soft = ceiling
    return soft
