"""Why the video relay refused a request; the routes turn these into the hub's error codes."""

from __future__ import annotations


class VideoError(Exception):
    """Base of every refusal of the video relay."""


class InvalidOffer(VideoError):
    """The SDP offer is malformed, too large, or offers nothing the relay can use."""


class ViewerLimitReached(VideoError):
    """This process already serves as many viewers as its CPU budget allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"this server already serves its limit of {limit} video viewers")
        self.limit = limit


class RelayClosed(VideoError):
    """The relay is shutting down and takes no new connections."""
