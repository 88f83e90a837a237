"""The fast public broadcast reaches every real socket.io client exactly once, as emit would."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web
from socketio import packet as sio_packet

from bidopen.realtime.fanout import (
    FanoutLimits,
    FanoutReport,
    PublicFanout,
    encode_event_message,
    encode_text_frame,
)

NAMESPACE = "/public"
ROOM = "session-1"
READOUT = {
    "seq": 7,
    "bidder": "华东建设集团有限公司",
    "price": "12,345,678.00",
    "note": 'a "quote"',
}


# --- pure encoding -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "event", "payload"),
    [
        ("/public", "readout", READOUT),
        ("/public", "readout", None),
        ("/", "tick", {"seq": 1}),
        ("/public", "事件", ["列表", 1, 2.5, True, None, {"嵌套": "值"}]),
        ("/public", "readout", "plain text"),
        ("/public", "readout", 0),
    ],
)
def test_event_message_is_byte_identical_to_python_socketio(
    namespace: str, event: str, payload: Any
) -> None:
    data = [event] if payload is None else [event, payload]
    expected = "4" + sio_packet.Packet(sio_packet.EVENT, data=data, namespace=namespace).encode()
    assert encode_event_message(namespace, event, payload) == expected


@pytest.mark.parametrize(
    ("namespace", "event", "payload", "error"),
    [
        ("/public", "readout", b"bytes need a binary packet", TypeError),
        ("/public", "readout", {"price": math.nan}, ValueError),
        ("/public", "readout", {"when": object()}, TypeError),
        ("public", "readout", {}, ValueError),
        ("/pub,lic", "readout", {}, ValueError),
        ("/public", "", {}, ValueError),
    ],
)
def test_event_message_refuses_what_is_not_plain_json(
    namespace: str, event: str, payload: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        encode_event_message(namespace, event, payload)


@pytest.mark.parametrize(
    ("length", "head"),
    [
        (0, b"\x81\x00"),
        (125, b"\x81\x7d"),
        (126, b"\x81\x7e\x00\x7e"),
        (65535, b"\x81\x7e\xff\xff"),
        (65536, b"\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
    ],
)
def test_text_frame_header_follows_rfc_6455(length: int, head: bytes) -> None:
    text = "x" * length
    assert encode_text_frame(text) == head + text.encode()


def test_text_frame_length_counts_utf8_bytes() -> None:
    assert encode_text_frame("开标") == b"\x81\x06" + "开标".encode()


@pytest.mark.parametrize("name", ["batch_size", "max_buffered_bytes", "max_queued_packets"])
def test_limits_must_be_positive(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        FanoutLimits(**{name: 0})


# --- a real server with real clients -------------------------------------------------


@dataclass
class Hub:
    sio: Any
    fanout: PublicFanout
    url: str
    disconnected: list[str] = field(default_factory=list)

    async def emit(self, event: str, payload: Any, room: str = ROOM) -> None:
        await self.sio.emit(event, payload, to=room, namespace=NAMESPACE)


async def start_hub(limits: FanoutLimits | None = None) -> tuple[Hub, web.AppRunner]:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    fanout = PublicFanout(sio, limits)
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    hub = Hub(sio, fanout, f"http://{host}:{port}")

    @sio.on("connect", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    async def connect(sid: str, environ: Any, auth: Any) -> None:
        await sio.enter_room(sid, (auth or {}).get("room", ROOM), namespace=NAMESPACE)

    @sio.on("disconnect", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    async def disconnect(sid: str, reason: str) -> None:
        hub.disconnected.append(sid)

    return hub, runner


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    server, runner = await start_hub()
    yield server
    await runner.cleanup()


class Viewer:
    """A python-socketio client that records every event it receives, in order."""

    def __init__(self, transports: list[str] | None, room: str = ROOM) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.transports = transports
        self.room = room
        self.events: list[tuple[str, Any]] = []
        self.arrived = asyncio.Event()
        self.marker = asyncio.Event()
        self.gone = asyncio.Event()
        self.client.on("*", self._record, namespace=NAMESPACE)
        self.client.on("disconnect", lambda *_: self.gone.set(), namespace=NAMESPACE)

    async def _record(self, event: str, payload: Any) -> None:
        if event == "marker":
            self.marker.set()
        else:
            self.events.append((event, payload))
            self.arrived.set()

    async def connect(self, url: str) -> None:
        await self.client.connect(
            url, namespaces=[NAMESPACE], transports=self.transports, auth={"room": self.room}
        )

    async def close(self, hub: Hub) -> None:
        # Closed from the server's side: python-engineio's client would otherwise wait
        # for its pending long-poll to time out.
        sid = self.client.get_sid(NAMESPACE)
        await hub.sio.eio.disconnect(hub.sio.manager.eio_sid_from_sid(sid, NAMESPACE))
        await asyncio.wait_for(self.gone.wait(), 10)
        await self.client.disconnect()

    async def until_marker(self) -> list[tuple[str, Any]]:
        await asyncio.wait_for(self.marker.wait(), 10)
        self.marker.clear()
        return self.events


class RawViewer:
    """Engine.IO over a bare websocket, keeping every text frame exactly as it arrived."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.frames: list[str] = []

    async def connect(self, url: str, room: str = ROOM) -> None:
        self.ws = await self.session.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
        opened = await self.ws.receive_str()
        assert opened.startswith("0{")
        await self.ws.send_str(f"40{NAMESPACE}," + json.dumps({"room": room}))
        connected = await self.ws.receive_str()
        assert connected.startswith(f"40{NAMESPACE},")

    async def until_marker(self) -> list[str]:
        """Every frame up to (not including) the marker event, which the test sends last."""
        while True:
            message = await asyncio.wait_for(self.ws.receive(), 10)
            assert message.type == aiohttp.WSMsgType.TEXT, message
            if message.data.startswith(f'42{NAMESPACE},["marker"'):
                return self.frames
            if message.data != "2":  # engine.io ping
                self.frames.append(message.data)


async def test_every_client_gets_the_one_frame_python_socketio_would_send(hub: Hub) -> None:
    async with aiohttp.ClientSession() as session:
        reference, raw = RawViewer(session), RawViewer(session)
        await reference.connect(hub.url)
        websocket = [Viewer(["websocket"]) for _ in range(5)]
        upgrading = Viewer(None)  # starts on polling and upgrades to websocket
        polling = Viewer(["polling"])
        viewers = [*websocket, upgrading, polling]
        for viewer in viewers:
            await viewer.connect(hub.url)
        # The reference frame comes from python-socketio itself, before `raw` joins.
        await hub.emit("readout", READOUT)
        await hub.emit("marker", {})
        (expected,) = await reference.until_marker()
        await raw.connect(hub.url)
        for viewer in viewers:
            await viewer.until_marker()
            viewer.events.clear()

        report = await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", READOUT)
        await hub.emit("marker", {})

        assert report.delivered == len(viewers) + 2
        assert report.dropped == 0
        assert report.queued >= 1  # at least the polling-only viewer
        assert await raw.until_marker() == [expected]
        assert await reference.until_marker() == [expected, expected]
        for viewer in viewers:
            assert await viewer.until_marker() == [("readout", READOUT)]
        for viewer in viewers:
            await viewer.close(hub)


async def test_only_the_room_receives_it(hub: Hub) -> None:
    inside, outside = Viewer(["websocket"]), Viewer(["websocket"], room="session-2")
    await inside.connect(hub.url)
    await outside.connect(hub.url)

    report = await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", READOUT)
    await hub.emit("marker", {}, room=ROOM)
    await hub.emit("marker", {}, room="session-2")

    assert report == FanoutReport(direct=1, queued=0, dropped=0)
    assert await inside.until_marker() == [("readout", READOUT)]
    assert await outside.until_marker() == []
    await inside.close(hub)
    await outside.close(hub)


async def test_a_payload_that_is_not_json_reaches_nobody(hub: Hub) -> None:
    viewer = Viewer(["websocket"])
    await viewer.connect(hub.url)

    with pytest.raises(TypeError):
        await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", {"blob": b"\x00"})
    await hub.emit("marker", {})

    assert await viewer.until_marker() == []
    await viewer.close(hub)


async def test_packets_already_queued_by_emit_stay_ahead(hub: Hub) -> None:
    viewers = [Viewer(["websocket"]) for _ in range(20)]
    for viewer in viewers:
        await viewer.connect(hub.url)

    for seq in range(1, 21):
        if seq % 2:
            await hub.emit("readout", {"seq": seq})
        else:
            await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", {"seq": seq})
    await hub.emit("marker", {})

    for viewer in viewers:
        received = [payload["seq"] for _, payload in await viewer.until_marker()]
        assert received == list(range(1, 21))
        await viewer.close(hub)


async def test_broadcast_yields_to_the_event_loop_between_batches() -> None:
    server, runner = await start_hub(FanoutLimits(batch_size=2))
    viewers = [Viewer(["websocket"]) for _ in range(6)]
    for viewer in viewers:
        await viewer.connect(server.url)
    ran_during_broadcast = asyncio.Event()

    async def other_work() -> None:
        ran_during_broadcast.set()

    other = asyncio.create_task(other_work())

    report = await server.fanout.broadcast(NAMESPACE, ROOM, "readout", READOUT)
    finished_first = ran_during_broadcast.is_set()
    await server.emit("marker", {})

    await other
    assert report.direct == 6
    assert finished_first
    for viewer in viewers:
        assert await viewer.until_marker() == [("readout", READOUT)]
        await viewer.close(server)
    await runner.cleanup()


async def test_a_viewer_that_stops_reading_is_disconnected_not_buffered() -> None:
    server, runner = await start_hub(FanoutLimits(max_buffered_bytes=256 * 1024))
    async with aiohttp.ClientSession() as session:
        stalled = RawViewer(session)
        await stalled.connect(server.url)
        # aiohttp's client stops reading its socket once 64 KiB wait unread, so from
        # here on everything sent to `stalled` piles up in kernel and server buffers.
        healthy = Viewer(["websocket"])
        await healthy.connect(server.url)
        assert server.fanout.websocket_viewers == 2
        chunk = {"text": "标" * 20_000}  # about 120 KB once escaped

        sent = 0
        reports = []
        while not server.disconnected and sent < 2_000:
            reports.append(await server.fanout.broadcast(NAMESPACE, ROOM, "readout", chunk))
            sent += 1
            await asyncio.wait_for(healthy.arrived.wait(), 10)
            healthy.arrived.clear()
        for _ in range(100):
            if server.fanout.websocket_viewers == 1:
                break
            await asyncio.sleep(0.01)

        assert sum(report.dropped for report in reports) == 1
        assert len(server.disconnected) == 1
        assert server.fanout.websocket_viewers == 1
        after = await server.fanout.broadcast(NAMESPACE, ROOM, "readout", {"seq": 1})
        assert after == FanoutReport(direct=1, queued=0, dropped=0)
        await server.emit("marker", {})
        assert len(await healthy.until_marker()) == sent + 1
        await healthy.close(server)
    await runner.cleanup()


async def test_a_polling_viewer_with_a_long_queue_is_disconnected() -> None:
    server, runner = await start_hub(FanoutLimits(max_queued_packets=3))
    # A bare engine.io session on long-polling that never polls again: the queue grows.
    async with aiohttp.ClientSession() as session:
        response = await session.get(f"{server.url}/socket.io/?EIO=4&transport=polling")
        opened = await response.text()
        sid = json.loads(opened[1:])["sid"]
        polled = f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}"
        await session.post(polled, data=f"40{NAMESPACE},")
        assert (await (await session.get(polled)).text()).startswith(f"40{NAMESPACE},")

        reports = [
            await server.fanout.broadcast(NAMESPACE, ROOM, "readout", {"seq": seq})
            for seq in range(5)
        ]

    assert [report.queued for report in reports] == [1, 1, 1, 0, 0]
    assert [report.dropped for report in reports] == [0, 0, 0, 1, 0]
    assert len(server.disconnected) == 1
    await runner.cleanup()


async def test_closed_websockets_are_forgotten(hub: Hub) -> None:
    viewers = [Viewer(["websocket"]) for _ in range(3)]
    for viewer in viewers:
        await viewer.connect(hub.url)
    assert hub.fanout.websocket_viewers == 3

    for viewer in viewers:
        await viewer.client.disconnect()
    for _ in range(100):
        if hub.fanout.websocket_viewers == 0:
            break
        await asyncio.sleep(0.01)

    assert hub.fanout.websocket_viewers == 0
    assert await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", READOUT) == FanoutReport(0, 0, 0)


def test_refuses_a_server_it_cannot_encode_for() -> None:
    with pytest.raises(ValueError, match="async_mode"):
        PublicFanout(socketio.AsyncServer(async_mode="asgi"))
    with pytest.raises(ValueError, match="JSON"):
        PublicFanout(socketio.AsyncServer(async_mode="aiohttp", serializer=OtherPacket))


class OtherPacket(sio_packet.Packet):  # type: ignore[misc]
    """A serializer of the application's own, whose bytes the fast path cannot promise."""
