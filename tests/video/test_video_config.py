"""Every video setting reaches the hub like the others: a `BIDOPEN_VIDEO_…` variable and a
`bidopen serve --video-…` flag; shared encoding is the default."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from bidopen.config import Config, ConfigError, load_config, settings
from bidopen.serve import VIDEO_SETTINGS, config_from_args, register
from bidopen.video.settings import VideoSettings


def _serve_args(*flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    return parser.parse_args(["serve", *flags])


def test_every_video_setting_has_a_hub_setting() -> None:
    names = {f.name for f in dataclasses.fields(VideoSettings)}
    assert {f"video_{name}" for name in names} == set(VIDEO_SETTINGS)
    assert set(VIDEO_SETTINGS) <= set(settings())


def test_the_served_hub_encodes_once_per_session_by_default() -> None:
    video = Config().video()
    assert video.shared_encoding is True
    assert video.viewer_limit == 50
    assert (video.view_requests_per_minute, video.view_burst) == (30, 10)


def test_environment_and_flags_reach_the_video() -> None:
    env = {
        "BIDOPEN_VIDEO_SHARED_ENCODING": "off",
        "BIDOPEN_VIDEO_MEDIA_TIMEOUT_SECONDS": "0.5",
        "BIDOPEN_VIDEO_WATCH_ELSEWHERE": "https://live.example/hall-1",
    }
    video = load_config(env).video()
    assert (video.shared_encoding, video.viewer_limit) == (False, 12)
    assert video.media_timeout_seconds == 0.5
    assert video.watch_elsewhere == "https://live.example/hall-1"

    args = _serve_args("--video-max-viewers", "80", "--video-view-burst", "40")
    video = config_from_args(args).video()
    assert (video.viewer_limit, video.view_burst) == (80, 40)


@pytest.mark.parametrize(
    "env",
    [
        {"BIDOPEN_VIDEO_SLATE_FPS": "fast"},
        {"BIDOPEN_VIDEO_SLATE_WIDTH": "15"},
        {"BIDOPEN_VIDEO_SHARED_BITRATE": "10"},
        {"BIDOPEN_VIDEO_WATCH_ELSEWHERE": "hall-2"},
    ],
)
def test_bad_video_settings_stop_the_hub_at_start(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_config(env)
