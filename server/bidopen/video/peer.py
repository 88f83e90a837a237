"""Peer connections of the relay: host candidates only, non-trickle offer/answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bidopen.video.errors import InvalidOffer

# aiortc is imported where a peer connection is made: the hub starts without it (a second
# of its start-up) and loads it with the first video connection.
if TYPE_CHECKING:
    from aiortc import RTCPeerConnection, RTCSessionDescription


@dataclass(frozen=True)
class SdpOffer:
    """An SDP offer as a client posts it: `{"type": "offer", "sdp": "v=0..."}`."""

    sdp: str

    @classmethod
    def from_json(cls, body: Any, max_bytes: int) -> SdpOffer:
        if not isinstance(body, dict):
            raise InvalidOffer("the body must be a JSON object with type and sdp")
        if body.get("type") != "offer":
            raise InvalidOffer('type must be "offer"')
        sdp = body.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0"):
            raise InvalidOffer("sdp must be an SDP text starting with v=0")
        if len(sdp.encode()) > max_bytes:
            raise InvalidOffer(f"sdp is larger than {max_bytes} bytes")
        if "\nm=video " not in sdp.replace("\r\n", "\n"):
            raise InvalidOffer("the offer has no video section")
        return cls(sdp)

    def description(self) -> RTCSessionDescription:
        from aiortc import RTCSessionDescription

        return RTCSessionDescription(sdp=self.sdp, type="offer")


def new_peer_connection() -> RTCPeerConnection:
    """A peer connection that gathers host candidates only.

    aiortc falls back to a public STUN server when given no configuration; an
    empty server list keeps every packet between the two hosts that talk.
    """
    from aiortc import RTCConfiguration, RTCPeerConnection

    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def apply_offer(pc: RTCPeerConnection, offer: SdpOffer) -> None:
    """Set the remote offer, turning aiortc's many parse failures into `InvalidOffer`."""
    try:
        await pc.setRemoteDescription(offer.description())
    except Exception as exc:  # the SDP is untrusted input; any parse failure is the client's
        raise InvalidOffer(f"the offer was not accepted: {exc}") from exc


async def complete_answer(pc: RTCPeerConnection) -> RTCSessionDescription:
    """Create the answer and wait until every candidate is in it (no trickle ICE)."""
    await pc.setLocalDescription(await pc.createAnswer())
    description: RTCSessionDescription = pc.localDescription
    return description


async def complete_offer(pc: RTCPeerConnection) -> RTCSessionDescription:
    """Create an offer with every candidate in it, for the publishing and viewing clients."""
    await pc.setLocalDescription(await pc.createOffer())
    description: RTCSessionDescription = pc.localDescription
    return description
