"""Block reads from binary streams into reusable buffers."""

from __future__ import annotations

from typing import BinaryIO

__all__ = ["read_block"]


def read_block(stream: BinaryIO, buffer: bytearray) -> int:
    """Fill ``buffer`` from ``stream`` as far as it goes; fewer bytes only at the end of the stream.

    Pipes and sockets return short reads in the middle of a stream; looping
    here keeps the chunk boundaries of a sealed file independent of them.
    """
    view = memoryview(buffer)
    filled = 0
    readinto = getattr(stream, "readinto", None)
    while filled < len(buffer):
        if readinto is not None:
            count = readinto(view[filled:])
        else:
            data = stream.read(len(buffer) - filled)
            count = len(data)
            view[filled : filled + count] = data
        if not count:
            break
        filled += count
    return filled
