"""A synthetic test picture: moving bars, a wall clock and a machine-readable frame counter."""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import dataclass
from datetime import datetime

from aiortc import VideoStreamTrack
from av import VideoFrame

VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)

# The counter strip is what tests and benchmarks read back after encode and decode:
# wide blocks survive lossy compression, and their size scales with the picture.
COUNTER_BITS = 24
BLACK, WHITE, GREY = 16, 235, 128

# A 3x5 pixel font for the clock; glyphs are drawn scaled up.
_GLYPHS = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ":": ("...", ".#.", "...", ".#.", "..."),
    ".": ("...", "...", "...", "...", ".#."),
}


@dataclass(frozen=True)
class PatternGeometry:
    """Where the counter strip and the clock sit in a picture of a given size."""

    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width < 160 or self.height < 120 or self.width % 2 or self.height % 2:
            raise ValueError(
                f"a test pattern needs an even size of at least 160x120, not "
                f"{self.width}x{self.height}"
            )

    @property
    def block(self) -> int:
        return self.width // 32

    @property
    def strip_top(self) -> int:
        return self.block // 2

    @property
    def strip_left(self) -> int:
        return self.block

    @property
    def glyph_scale(self) -> int:
        return max(2, self.width // 80)


def render_pattern(index: int, geometry: PatternGeometry, clock: datetime) -> VideoFrame:
    """Frame number `index`: bars shifted by `index`, the counter and the `clock` drawn in."""
    width, height = geometry.width, geometry.height
    period = 64
    shift = (index * 4) % period
    bars = bytes(WHITE - 60 if (x // (period // 2)) % 2 else BLACK + 40 for x in range(period))
    row = (bars * (width // period + 2))[shift : shift + width]
    luma = bytearray(row * height)

    _draw_counter(luma, index, geometry)
    _draw_text(luma, clock.strftime("%H:%M:%S.") + f"{clock.microsecond // 100_000}", geometry)

    frame = VideoFrame(width=width, height=height, format="yuv420p")
    frame.planes[0].update(bytes(luma))
    chroma = bytes([GREY]) * (width // 2 * height // 2)
    frame.planes[1].update(chroma)
    frame.planes[2].update(chroma)
    return frame


def _draw_counter(luma: bytearray, index: int, geometry: PatternGeometry) -> None:
    block, width = geometry.block, geometry.width
    value = index % (1 << COUNTER_BITS)
    strip = b"".join(
        bytes([WHITE if value >> (COUNTER_BITS - 1 - bit) & 1 else BLACK]) * block
        for bit in range(COUNTER_BITS)
    )
    left = geometry.strip_left
    for y in range(geometry.strip_top, geometry.strip_top + block):
        start = y * width + left
        luma[start : start + len(strip)] = strip


def _draw_text(luma: bytearray, text: str, geometry: PatternGeometry) -> None:
    scale, width = geometry.glyph_scale, geometry.width
    advance = 4 * scale
    left = geometry.block
    top = geometry.height - 7 * scale
    # A black box behind the digits keeps them legible over the bars.
    box = bytes([BLACK]) * (len(text) * advance + 2 * scale)
    for y in range(top - scale, top + 6 * scale):
        start = y * width + left - scale
        luma[start : start + len(box)] = box
    for glyph_row in range(5):
        pixels = b"".join(
            b"".join(
                bytes([WHITE if cell == "#" else BLACK]) * scale
                for cell in _GLYPHS[char][glyph_row]
            )
            + bytes([BLACK]) * scale
            for char in text
        )
        for dy in range(scale):
            start = (top + glyph_row * scale + dy) * width + left
            luma[start : start + len(pixels)] = pixels


def read_counter(frame: VideoFrame) -> int:
    """The frame counter drawn by `render_pattern`, read back from a (decoded) frame."""
    geometry = PatternGeometry(frame.width, frame.height)
    plane = frame.planes[0]
    data = bytes(plane)
    block = geometry.block
    y = geometry.strip_top + block // 2
    value = 0
    for bit in range(COUNTER_BITS):
        x = geometry.strip_left + bit * block + block // 2
        value = value << 1 | (data[y * plane.line_size + x] > GREY)
    return value


class TestPatternTrack(VideoStreamTrack):
    """A live video track of the test pattern at a fixed size and frame rate."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        super().__init__()
        if not 0 < fps <= 60:
            raise ValueError(f"fps must be in (0, 60], not {fps}")
        self._geometry = PatternGeometry(width, height)
        self._interval = 1.0 / fps
        self._index = 0
        self._started: float | None = None

    async def recv(self) -> VideoFrame:
        # Pace by the schedule, not by the last wake-up, so that the rate holds on average.
        now = time.monotonic()
        if self._started is None:
            self._started = now
        due = self._started + self._index * self._interval
        if due > now:
            await asyncio.sleep(due - now)
        frame = render_pattern(self._index, self._geometry, datetime.now())
        frame.pts = round(self._index * self._interval * 90_000)
        frame.time_base = VIDEO_TIME_BASE
        self._index += 1
        return frame
