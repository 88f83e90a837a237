"""The state a session's video is in, as viewers see it, and the rule that moves it."""

from __future__ import annotations

import enum


class VideoState(enum.StrEnum):
    """`idle`: nothing published; `live`: frames flow; `interrupted`: the publisher was lost."""

    IDLE = "idle"
    LIVE = "live"
    INTERRUPTED = "interrupted"


class FeedEvent(enum.Enum):
    """What the relay observes about its publisher."""

    FRAMES_FLOWING = "frames_flowing"
    FRAMES_STALLED = "frames_stalled"
    PUBLISHER_STOPPED = "publisher_stopped"


def next_state(state: VideoState, event: FeedEvent) -> VideoState:
    """The state after `event`.

    Only a deliberate stop returns to `idle`; a publisher that vanishes leaves the
    screen `interrupted` so that the public can tell a break from the end.
    """
    if event is FeedEvent.PUBLISHER_STOPPED:
        return VideoState.IDLE
    if event is FeedEvent.FRAMES_FLOWING:
        return VideoState.LIVE
    # A stall before the first frame is not an interruption of anything.
    if state is VideoState.IDLE:
        return VideoState.IDLE
    return VideoState.INTERRUPTED
