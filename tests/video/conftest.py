"""Fixtures of the video tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from video_kit import VideoHub, running_hub


@pytest.fixture
async def hub() -> AsyncIterator[VideoHub]:
    async with running_hub() as running:
        yield running
