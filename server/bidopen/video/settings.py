"""Limits and timings of the live evaluation video, one frozen value per hub process."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoSettings:
    """How many viewers one process serves and how quickly a stalled publisher is noticed.

    aiortc encodes once per viewer, so `max_viewers` is a CPU budget: docs/video.md
    gives the measured cost per viewer that it should be derived from.
    """

    # None: a budget measured for one core (docs/video.md), 12 viewers when each
    # viewer has its own encoder at 640x480, 50 with shared encoding.
    max_viewers: int | None = None
    # Per client address. Screens of one hall often share one address (a NAT), and each
    # (re)connects rarely: a burst covers ten screens or a few reloads.
    view_requests_per_minute: int = 30
    view_burst: int = 10
    # A viewer that has not connected by then is dropped, freeing its place under the cap.
    viewer_connect_seconds: float = 15.0
    # No frame from the publisher for this long means the stream is interrupted.
    media_timeout_seconds: float = 2.0
    # While nothing live is shown, viewers get a slate at this rate: enough to keep
    # their decoders fed, cheap enough to be free.
    slate_fps: float = 2.0
    slate_width: int = 640
    slate_height: int = 480
    max_sdp_bytes: int = 64 * 1024
    # Encode once per session instead of once per viewer (see docs/video.md):
    # about four times the viewers per core, one bitrate for all, VP8 only.
    shared_encoding: bool = True
    shared_bitrate: int = 1_000_000
    # Where a viewer refused at the cap is told to watch instead (another node's page, a
    # streaming service); empty: the session's public screen, which needs no video.
    watch_elsewhere: str = ""

    def __post_init__(self) -> None:
        if self.max_viewers is not None and self.max_viewers < 0:
            raise ValueError("max_viewers must not be negative")
        if self.view_requests_per_minute <= 0 or self.view_burst <= 0:
            raise ValueError("view_requests_per_minute and view_burst must be positive")
        if self.media_timeout_seconds <= 0 or self.viewer_connect_seconds <= 0:
            raise ValueError("media_timeout_seconds and viewer_connect_seconds must be positive")
        if not 0 < self.slate_fps <= 30:
            raise ValueError("slate_fps must be in (0, 30]")
        for name in ("slate_width", "slate_height"):
            value = getattr(self, name)
            if value < 16 or value % 2:
                raise ValueError(f"{name} must be an even number of at least 16")
        if self.max_sdp_bytes < 1024:
            raise ValueError("max_sdp_bytes must be at least 1024")
        if self.watch_elsewhere and not self.watch_elsewhere.startswith(("https://", "http://")):
            raise ValueError("watch_elsewhere must be an http(s) URL")
        if not 100_000 <= self.shared_bitrate <= 20_000_000:
            raise ValueError("shared_bitrate must be between 100000 and 20000000 bit/s")

    @property
    def viewer_limit(self) -> int:
        """Viewers this process serves, of all sessions together."""
        if self.max_viewers is not None:
            return self.max_viewers
        return 50 if self.shared_encoding else 12
