"""Live video of the evaluation room: an aiortc relay from one publisher to many viewers."""

from bidopen.video.announce import StateListener
from bidopen.video.relays import VideoRelays, VideoStatus
from bidopen.video.routes import VIDEO_RELAYS, PublisherCheck, add_video_routes, video_cleanup_ctx
from bidopen.video.settings import VideoSettings
from bidopen.video.state import VideoState

__all__ = [
    "VIDEO_RELAYS",
    "PublisherCheck",
    "StateListener",
    "VideoRelays",
    "VideoSettings",
    "VideoState",
    "VideoStatus",
    "add_video_routes",
    "video_cleanup_ctx",
]
