"""Holding off Python's cyclic garbage collector while a session change commits and goes out.

A hub with thousands of viewers holds about a million objects (each websocket brings its
request, response, parser, queue and tasks).  A full collection walks all of them and
stops the event loop for hundreds of milliseconds (seen: 490 ms, in the middle of a
read-out's commit).  Collections are triggered by allocation counts, so one can fall on
any command; held off during commands, they run in the gaps between them instead.
Reference counting frees almost everything as usual; only cycles wait.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Commands that overlap without a gap (a burst of confirmations) could otherwise hold the
# collector for as long as the burst lasts: after this long a leaving holder lets it run.
MAX_HELD_S = 2.0

# Commands in flight that hold the collector (asyncio runs them on one thread).
_holders = 0
# Whether the collector was enabled when the first holder came: the last one restores it.
_was_enabled = False
_held_since = 0.0


@contextmanager
def collector_held() -> Iterator[None]:
    """No automatic cyclic collection until every holder has left the block (or MAX_HELD_S)."""
    global _holders, _was_enabled, _held_since
    if _holders == 0:
        _was_enabled = gc.isenabled()
        _held_since = time.monotonic()
        gc.disable()
    _holders += 1
    try:
        yield
    finally:
        _holders -= 1
        if _was_enabled and (_holders == 0 or time.monotonic() - _held_since > MAX_HELD_S):
            gc.enable()


def holders() -> int:
    """How many blocks hold the collector now (for tests and metrics)."""
    return _holders
