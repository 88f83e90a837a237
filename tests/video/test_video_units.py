"""The pure parts of the video relay: state rule, rate limit, settings, offers, test pattern."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import av
import pytest

from bidopen.video.errors import InvalidOffer
from bidopen.video.pattern import PatternGeometry, read_counter, render_pattern
from bidopen.video.peer import SdpOffer
from bidopen.video.ratelimit import RequestRate
from bidopen.video.settings import VideoSettings
from bidopen.video.state import FeedEvent, VideoState, next_state

IDLE, LIVE, INTERRUPTED = VideoState.IDLE, VideoState.LIVE, VideoState.INTERRUPTED
FLOWING, STALLED, STOPPED = (
    FeedEvent.FRAMES_FLOWING,
    FeedEvent.FRAMES_STALLED,
    FeedEvent.PUBLISHER_STOPPED,
)


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        (IDLE, FLOWING, LIVE),
        (IDLE, STALLED, IDLE),  # a publisher that never delivered interrupts nothing
        (IDLE, STOPPED, IDLE),
        (LIVE, FLOWING, LIVE),
        (LIVE, STALLED, INTERRUPTED),
        (LIVE, STOPPED, IDLE),
        (INTERRUPTED, FLOWING, LIVE),
        (INTERRUPTED, STALLED, INTERRUPTED),
        (INTERRUPTED, STOPPED, IDLE),
    ],
)
def test_state_rule(state: VideoState, event: FeedEvent, expected: VideoState) -> None:
    assert next_state(state, event) is expected


def test_rate_allows_a_burst_then_refills_at_the_rate() -> None:
    rate = RequestRate(per_minute=6, burst=2)
    assert [rate.allow("a", 0.0) for _ in range(3)] == [True, True, False]
    assert rate.allow("b", 0.0)  # another address has its own bucket
    assert not rate.allow("a", 9.9)
    assert rate.allow("a", 10.0)  # one token per 10 s
    assert not rate.allow("a", 10.0)


def test_rate_keeps_a_bounded_number_of_addresses() -> None:
    rate = RequestRate(per_minute=60, burst=1, max_keys=4)
    for n in range(100):
        assert rate.allow(f"10.0.0.{n}", float(n) / 1000)
    assert len(rate._buckets) <= 4
    with pytest.raises(ValueError, match="positive"):
        RequestRate(per_minute=0, burst=1)


@pytest.mark.parametrize(
    "changes",
    [
        {"max_viewers": -1},
        {"view_burst": 0},
        {"view_requests_per_minute": 0},
        {"media_timeout_seconds": 0},
        {"viewer_connect_seconds": -1},
        {"slate_fps": 0},
        {"slate_fps": 31},
        {"slate_width": 15},
        {"slate_height": 241},
        {"max_sdp_bytes": 10},
    ],
)
def test_settings_refuse_values_the_relay_cannot_run_with(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        VideoSettings(**changes)


def test_the_viewer_limit_follows_the_encoding_unless_set() -> None:
    assert VideoSettings(shared_encoding=False).viewer_limit == 12
    assert VideoSettings().viewer_limit == 50  # shared encoding is the default
    assert VideoSettings(max_viewers=3, shared_encoding=True).viewer_limit == 3


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("v=0", "JSON object"),
        ({"type": "answer", "sdp": "v=0\r\nm=video 9"}, "type"),
        ({"type": "offer"}, "sdp"),
        ({"type": "offer", "sdp": "hello"}, "v=0"),
        ({"type": "offer", "sdp": "v=0\r\nm=audio 9 x\r\n"}, "no video"),
        ({"type": "offer", "sdp": "v=0\r\nm=video 9 " + "x" * 2000}, "larger"),
    ],
)
def test_offers_are_checked_before_aiortc_sees_them(body: Any, reason: str) -> None:
    with pytest.raises(InvalidOffer, match=reason):
        SdpOffer.from_json(body, max_bytes=1024)
    assert SdpOffer.from_json({"type": "offer", "sdp": "v=0\r\nm=video 9 x\r\n"}, 1024)


@pytest.mark.parametrize(("width", "height"), [(640, 480), (1280, 720), (320, 240)])
def test_the_pattern_counter_survives_vp8(width: int, height: int) -> None:
    geometry = PatternGeometry(width, height)
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.bit_rate = 500_000
    decoder = av.CodecContext.create("libvpx", "r")
    counters = [0, 1, 2, 3, 1000, 0xABCDEF]
    decoded = []
    for index in counters:
        frame = render_pattern(index, geometry, datetime(2025, 1, 2, 3, 4, 5, 600_000))
        assert read_counter(frame) == index
        for packet in encoder.encode(frame):
            decoded.extend(decoder.decode(packet))
    for packet in encoder.encode(None):
        decoded.extend(decoder.decode(packet))
    assert [read_counter(f) for f in decoded] == counters


def test_consecutive_pattern_frames_differ() -> None:
    geometry = PatternGeometry(640, 480)
    clock = datetime(2025, 1, 1)
    first, second = (bytes(render_pattern(i, geometry, clock).planes[0]) for i in (0, 1))
    assert first != second


@pytest.mark.parametrize(("width", "height"), [(158, 120), (160, 118), (161, 240)])
def test_the_pattern_needs_a_usable_size(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="even size"):
        PatternGeometry(width, height)
