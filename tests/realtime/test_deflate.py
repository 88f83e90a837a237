"""Broadcast frames compressed once (RFC 7692) reach deflating clients intact and in order."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web

from bidopen.realtime.deflate import FAST_LEVEL, deflate_message
from bidopen.realtime.fanout import FanoutReport, RoomFanout
from bidopen.realtime.frames import BroadcastFrames, encode_event_message, encode_text_frame
from bidopen.simulate.viewer import JOINED, CheapViewer, ViewerPlan, ViewerState, packet_digest
from bidopen.simulate.websocket import (
    OP_TEXT,
    Deflate,
    FrameDecoder,
    Inflater,
    Message,
    UpgradeResponse,
    encode_frame,
    make_handshake,
)

NAMESPACE = "/public"
ROOM = "session-1"


def readout(bidders: int, seq: int = 1) -> dict[str, Any]:
    """A read-out shaped like the hub's, large enough to be compressed."""
    lines = [
        {
            "bidder": f"BD{index:010X}",
            "bidder_name": f"华东第{index}建设工程有限公司",
            "items": {"price": f"{1_000_000 + index * 7919}.00", "duration_days": str(180 + index)},
            "status": "opened",
        }
        for index in range(bidders)
    ]
    return {"seq": seq, "kind": "read_out", "data": {"lots": [{"lot": "1", "lines": lines}]}}


# --- pure pieces ---------------------------------------------------------------------


@pytest.mark.parametrize("window_bits", [9, 12, 15])
@pytest.mark.parametrize("size", [0, 1, 511, 4096, 70_000])
def test_a_message_deflated_on_its_own_inflates_back(size: int, window_bits: int) -> None:
    data = (os.urandom(size // 2).hex().encode() + "唱标".encode() * size)[:size]
    payload = deflate_message(data, window_bits)
    assert not payload.endswith(b"\x00\x00\xff\xff")
    # Inflated as a client of the same wire does (the simulation's codec).
    assert Deflate(True, window_bits).inflater().inflate(payload) == data


@pytest.mark.parametrize("window_bits", [0, 8, 16])
def test_window_bits_outside_rfc_7692_are_refused(window_bits: int) -> None:
    with pytest.raises(ValueError, match="window bits"):
        deflate_message(b"x", window_bits)


def test_a_broadcast_is_compressed_once_per_window_and_only_when_worth_it() -> None:
    large = encode_event_message(NAMESPACE, "event", readout(30))
    big = BroadcastFrames([large])
    first = big.for_window(15)
    assert first[0] == 0xC1  # FIN, RSV1, text
    assert big.for_window(15) is first
    assert big.for_window(0) is big.plain
    assert big.plain == encode_text_frame(large)
    assert len(first) < len(big.plain) // 3
    assert big.for_window(10) != first

    small = encode_event_message(NAMESPACE, "event", {"seq": 2})
    assert BroadcastFrames([small]).for_window(15) == encode_text_frame(small)


def test_the_level_trades_time_for_bytes_and_inflates_the_same() -> None:
    message = encode_event_message(NAMESPACE, "event", readout(300))
    best = BroadcastFrames([message]).for_window(15)
    fast = BroadcastFrames([message], level=FAST_LEVEL).for_window(15)
    assert len(best) < len(fast) < len(message)
    decoder = FrameDecoder(deflate=True)
    inflater = Inflater(Deflate(server_no_context_takeover=True))
    for frame in (best, fast):
        (received,) = decoder.feed(frame)
        assert inflater.inflate(received.payload).decode() == message


def test_the_frames_of_several_messages_are_joined_in_order() -> None:
    small = encode_event_message(NAMESPACE, "event", {"seq": 1})
    large = encode_event_message(NAMESPACE, "event", readout(30, 2))
    frames = BroadcastFrames([small, large, small])
    assert frames.plain == b"".join(encode_text_frame(m) for m in (small, large, small))
    joined = frames.for_window(15)
    decoder = FrameDecoder(deflate=True)
    messages = decoder.feed(joined)
    assert [m.compressed for m in messages] == [False, True, False]
    inflater = Inflater(Deflate(server_no_context_takeover=True))
    assert [
        (inflater.inflate(m.payload) if m.compressed else m.payload).decode() for m in messages
    ] == [small, large, small]
    with pytest.raises(ValueError, match="at least one"):
        BroadcastFrames([])


# --- a real server ---------------------------------------------------------------------


@pytest.fixture
async def served() -> AsyncIterator[tuple[socketio.AsyncServer, RoomFanout, str]]:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    fanout = RoomFanout(sio)
    app = web.Application()
    sio.attach(app)

    async def connect(sid: str, environ: Any, auth: Any) -> None:
        await sio.enter_room(sid, ROOM, namespace=NAMESPACE)

    sio.on("connect", connect, namespace=NAMESPACE)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield sio, fanout, f"{host}:{port}"
    await runner.cleanup()


class WireViewer:
    """A bare TCP client with the simulation's codec: sees each frame's RSV1 bit."""

    def __init__(self, address: str, *, deflate: bool) -> None:
        self.address = address
        self.handshake = make_handshake(
            address, "/socket.io/?EIO=4&transport=websocket", f"http://{address}", deflate=deflate
        )
        self.upgrade = UpgradeResponse(self.handshake)
        self.decoder = FrameDecoder()
        self.inflater: Inflater | None = None
        self.pending: list[Message] = []

    async def connect(self) -> None:
        host, port = self.address.split(":")
        self.reader, self.writer = await asyncio.open_connection(host, int(port))
        self.writer.write(self.handshake.request)
        while not self.upgrade.complete:
            rest = self.upgrade.feed(await self.reader.read(65536))
        if self.upgrade.deflate is not None:
            self.inflater = self.upgrade.deflate.inflater()
            self.decoder.deflate = True
        self.pending = self.decoder.feed(rest)
        assert (await self.text()).startswith("0{")
        self.writer.write(encode_frame(OP_TEXT, f"40{NAMESPACE},{{}}".encode()))
        assert (await self.text()).startswith(f"40{NAMESPACE},")

    async def message(self) -> Message:
        while not self.pending:
            data = await asyncio.wait_for(self.reader.read(65536), 10)
            assert data, "the server closed the connection"
            self.pending = self.decoder.feed(data)
        return self.pending.pop(0)

    async def text(self) -> str:
        message = await self.message()
        payload = message.payload
        if message.compressed:
            assert self.inflater is not None
            payload = self.inflater.inflate(payload)
        return payload.decode("utf-8")

    async def close(self) -> None:
        self.writer.close()


async def test_the_server_declares_no_context_takeover_to_a_deflating_client(
    served: tuple[socketio.AsyncServer, RoomFanout, str],
) -> None:
    _, _, address = served
    deflating, plain = WireViewer(address, deflate=True), WireViewer(address, deflate=False)
    await deflating.connect()
    await plain.connect()
    assert deflating.upgrade.deflate is not None
    assert deflating.upgrade.deflate.server_no_context_takeover
    assert deflating.upgrade.deflate.server_max_window_bits == 15
    assert plain.upgrade.deflate is None
    await deflating.close()
    await plain.close()


async def test_deflating_and_plain_clients_get_the_same_broadcast(
    served: tuple[socketio.AsyncServer, RoomFanout, str],
) -> None:
    _, fanout, address = served
    deflating, plain = WireViewer(address, deflate=True), WireViewer(address, deflate=False)
    await deflating.connect()
    await plain.connect()
    payload = readout(300)

    report = await fanout.broadcast(NAMESPACE, ROOM, "event", payload)

    expected = encode_event_message(NAMESPACE, "event", payload)
    compressed, uncompressed = await deflating.message(), await plain.message()
    assert report.direct == 2
    assert compressed.compressed and not uncompressed.compressed
    assert len(compressed.payload) < len(uncompressed.payload) // 4
    assert deflating.inflater is not None
    assert deflating.inflater.inflate(compressed.payload).decode() == expected
    assert uncompressed.payload.decode() == expected
    # Two clients share the work: not worth the best (slowest) level.
    assert compressed.payload == deflate_message(expected.encode(), 15, FAST_LEVEL)
    await deflating.close()
    await plain.close()


@pytest.mark.parametrize("window_bits", [15, 10])
async def test_fanout_frames_between_aiohttps_own_compressed_messages_inflate(
    served: tuple[socketio.AsyncServer, RoomFanout, str], window_bits: int
) -> None:
    """aiohttp's client inflates with one running context: a frame compressed elsewhere
    between two of the server's own compressed messages would corrupt the second one if
    the server kept its compression context across messages."""
    sio, fanout, address = served
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(
            f"http://{address}/socket.io/?EIO=4&transport=websocket", compress=window_bits
        )
        assert "server_no_context_takeover" in ws._response.headers["Sec-WebSocket-Extensions"]
        assert (await ws.receive_str()).startswith("0{")
        await ws.send_str(f"40{NAMESPACE},{{}}")
        assert (await ws.receive_str()).startswith(f"40{NAMESPACE},")
        sid = next(iter(sio.manager.get_participants(NAMESPACE, ROOM)))[1]

        sent = []
        for seq in range(1, 7):
            payload = readout(120, seq)
            if seq % 2:
                # python-socketio's own path: aiohttp compresses it for this connection.
                await sio.emit("event", payload, to=ROOM, namespace=NAMESPACE)
                await sio.eio.sockets[sid].queue.join()
            else:
                await fanout.broadcast(NAMESPACE, ROOM, "event", payload)
            sent.append(encode_event_message(NAMESPACE, "event", payload))

        received = [await asyncio.wait_for(ws.receive_str(), 10) for _ in sent]
        await ws.close()
    assert [json.loads(text.split(",", 1)[1])[1]["seq"] for text in received] == list(range(1, 7))
    assert received == sent


async def test_a_broadcast_waits_behind_a_message_aiohttp_is_still_compressing(
    served: tuple[socketio.AsyncServer, RoomFanout, str],
) -> None:
    """aiohttp compresses a message above 16 KiB in a task after engine.io has counted it
    as sent; a direct write in that moment would overtake it."""
    sio, fanout, address = served
    viewer = WireViewer(address, deflate=True)
    await viewer.connect()
    ((_, eio_sid),) = sio.manager.get_participants(NAMESPACE, ROOM)
    response = sio.eio.sockets[eio_sid].queue  # engine.io's queue of this session
    big = readout(400, 1)
    # A first broadcast, written directly: the session is plainly on its websocket.
    assert await fanout.broadcast(NAMESPACE, ROOM, "event", readout(3, 0)) == FanoutReport(1, 0, 0)
    assert json.loads((await viewer.text()).split(",", 1)[1])[1]["seq"] == 0

    await sio.emit("event", big, to=ROOM, namespace=NAMESPACE)
    writer = fanout._viewers[eio_sid].writer
    for _ in range(1000):
        if writer._send_lock.locked() and response.empty():
            break
        await asyncio.sleep(0)
    else:
        pytest.fail("aiohttp never held its writer for the large message")
    report = await fanout.broadcast(NAMESPACE, ROOM, "event", readout(3, 2))

    assert report.queued == 1 and report.direct == 0
    first, second = json.loads((await viewer.text()).split(",", 1)[1])[1], None
    second = json.loads((await viewer.text()).split(",", 1)[1])[1]
    assert [first["seq"], second["seq"]] == [1, 2]
    await viewer.close()


async def test_a_broadcast_waits_behind_a_compression_whose_send_was_cancelled(
    served: tuple[socketio.AsyncServer, RoomFanout, str],
) -> None:
    """aiohttp's compression task of a large message goes on when the send that started it
    is cancelled; until it has written its frame, a direct write would overtake it."""
    sio, fanout, address = served
    viewer = WireViewer(address, deflate=True)
    await viewer.connect()
    ((_, eio_sid),) = sio.manager.get_participants(NAMESPACE, ROOM)
    writer = fanout._viewers[eio_sid].writer
    big = encode_event_message(NAMESPACE, "event", readout(400, 1))[1:]
    # A first broadcast, written directly: the session is plainly on its websocket.
    assert await fanout.broadcast(NAMESPACE, ROOM, "event", readout(3, 0)) == FanoutReport(1, 0, 0)
    assert json.loads((await viewer.text()).split(",", 1)[1])[1]["seq"] == 0

    sending = asyncio.create_task(writer.send_frame(big.encode(), aiohttp.WSMsgType.TEXT))
    for _ in range(1000):
        if writer._background_tasks:
            break
        await asyncio.sleep(0)
    else:
        pytest.fail("aiohttp never started a task for the large message")
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    assert writer._background_tasks  # still compressing, with nobody awaiting it
    report = await fanout.broadcast(NAMESPACE, ROOM, "event", readout(3, 2))

    assert report.queued == 1 and report.direct == 0
    first = json.loads((await viewer.text()).split(",", 1)[1])[1]
    second = json.loads((await viewer.text()).split(",", 1)[1])[1]
    assert [first["seq"], second["seq"]] == [1, 2]
    # Once the task has written its frame, the next broadcast is written directly.
    assert await fanout.broadcast(NAMESPACE, ROOM, "event", readout(3, 3)) == FanoutReport(1, 0, 0)
    assert json.loads((await viewer.text()).split(",", 1)[1])[1]["seq"] == 3
    await viewer.close()


@pytest.mark.parametrize("deflate", [True, False])
async def test_simulated_viewers_report_the_same_content_compressed_or_not(
    served: tuple[socketio.AsyncServer, RoomFanout, str], deflate: bool
) -> None:
    """The simulation's viewers keep a compressed read-out compressed until scoring; what
    they report must be the digest of the packet as python-socketio would have sent it."""
    _, fanout, address = served
    host, port = address.split(":")
    plan = ViewerPlan(
        host=host,
        port=int(port),
        path="/socket.io/?EIO=4&transport=websocket",
        origin=f"http://{address}",
        namespace=NAMESPACE,
        connect_auth={},
        ready_event=None,
        watch=frozenset({"event/read_out"}),
        deflate=deflate,
    )
    state = ViewerState()
    changes: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    _, viewer = await loop.create_connection(
        lambda: CheapViewer(plan, state, changes.put_nowait), host, int(port)
    )
    assert await asyncio.wait_for(changes.get(), 10) == JOINED
    payload = readout(300)

    await fanout.broadcast(NAMESPACE, ROOM, "event", payload)

    assert await asyncio.wait_for(changes.get(), 10) == "event/read_out"
    sighting = state.sightings["event/read_out"]
    assert (sighting.digest is None) == deflate  # kept compressed only when it came so
    expected = encode_event_message(NAMESPACE, "event", payload).encode()
    assert sighting.content_digest() == packet_digest(expected)
    assert state.error is None
    viewer.close()
