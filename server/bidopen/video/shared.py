"""Encode once per session: one VP8 stream whose packets every viewer's sender only packetizes."""

from __future__ import annotations

import asyncio
import fractions

import av
from aiortc import MediaStreamTrack, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame
from av.packet import Packet
from av.stream import Stream
from av.video.codeccontext import VideoCodecContext

from bidopen.video.errors import InvalidOffer

_TIME_BASE = fractions.Fraction(1, 90_000)


class SharedVp8Track(MediaStreamTrack):
    """Packets of the session's picture, VP8-encoded once for all viewers.

    aiortc's default encodes once per viewer, which costs a share of a core per
    viewer; handing senders encoded packets (`av.Packet`) makes them skip their
    encoder. The price: one bitrate for everyone (no per-viewer congestion
    control), and a viewer that lost data waits for the next periodic keyframe
    (every `keyframe_seconds`) instead of getting one on request.
    """

    kind = "video"

    def __init__(
        self, source: MediaStreamTrack, bitrate: int, keyframe_seconds: float = 2.0
    ) -> None:
        super().__init__()
        self._source = source
        self._bitrate = bitrate
        self._keyframe_ticks = round(keyframe_seconds * _TIME_BASE.denominator)
        self._codec: VideoCodecContext | None = None
        self._last_keyframe_pts: int | None = None
        self._keyframe_wanted = True

    def request_keyframe(self) -> None:
        """The next packet is a keyframe: a viewer just joined and has nothing to decode from."""
        self._keyframe_wanted = True

    async def recv(self) -> Packet[Stream]:
        if self.readyState != "live":
            raise MediaStreamError
        while True:
            frame = await self._source.recv()
            if not isinstance(frame, VideoFrame):
                raise MediaStreamError
            loop = asyncio.get_running_loop()
            packet = await loop.run_in_executor(None, self._encode, frame)
            if packet is not None:
                return packet

    def _encode(self, frame: VideoFrame) -> Packet[Stream] | None:
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        codec = self._codec
        if codec is None or (codec.width, codec.height) != (frame.width, frame.height):
            codec = self._codec = self._open(frame.width, frame.height)
            self._keyframe_wanted = True
        pts = int(frame.pts or 0)
        due = (
            self._last_keyframe_pts is None or pts - self._last_keyframe_pts >= self._keyframe_ticks
        )
        if self._keyframe_wanted or due:
            frame.pict_type = av.video.frame.PictureType.I
            self._keyframe_wanted = False
            self._last_keyframe_pts = pts
        data = b"".join(bytes(packet) for packet in codec.encode(frame))
        if not data:
            return None
        packet: Packet[Stream] = Packet(data)
        packet.pts = pts
        packet.time_base = _TIME_BASE
        return packet

    def _open(self, width: int, height: int) -> VideoCodecContext:
        codec = av.CodecContext.create("libvpx", "w")
        assert isinstance(codec, VideoCodecContext)
        codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
        codec.time_base = _TIME_BASE
        codec.bit_rate = self._bitrate
        # aiortc's own realtime settings, with keyframes left to this track.
        codec.gop_size = 100_000
        codec.options = {
            "cpu-used": "-6",
            "deadline": "realtime",
            "lag-in-frames": "0",
            "static-thresh": "1",
            "undershoot-pct": "100",
            "overshoot-pct": "15",
            "bufsize": str(self._bitrate),
            "minrate": str(self._bitrate),
            "maxrate": str(self._bitrate),
        }
        return codec

    def stop(self) -> None:
        self._codec = None
        super().stop()


def prefer_vp8(transceiver: RTCRtpTransceiver) -> None:
    """Make the viewer's connection use VP8, the codec of the shared packets."""
    codecs = [
        codec
        for codec in RTCRtpSender.getCapabilities("video").codecs
        if codec.mimeType.lower() in ("video/vp8", "video/rtx")
    ]
    try:
        transceiver.setCodecPreferences(codecs)
    except Exception as exc:  # aiortc rejects preferences the offer cannot meet
        raise InvalidOffer(f"the viewer must accept VP8: {exc}") from exc
