"""The fast public broadcast reaches every real socket.io client exactly once, as emit would."""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio
import socketio
from aiohttp import web
from engineio import packet as eio_packet
from playwright.async_api import async_playwright
from socketio import packet as sio_packet

from bidopen.realtime.fanout import FanoutLimits, FanoutManager, FanoutReport, RoomFanout
from bidopen.realtime.frames import EventBatch, encode_event_message, encode_text_frame
from bidopen.realtime.nodes import FanoutRedisManager
from bidopen.realtime.viewers import unfinished

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
    fanout: RoomFanout
    url: str
    disconnected: list[str] = field(default_factory=list)

    async def emit(self, event: str, payload: Any, room: str = ROOM) -> None:
        """python-socketio's own emit, whichever manager the server has."""
        await socketio.AsyncManager.emit(self.sio.manager, event, payload, NAMESPACE, room=room)


async def serve_app(sio: Any, app: web.Application | None = None) -> tuple[str, web.AppRunner]:
    """Serve `sio` on a free port of 127.0.0.1."""
    if app is None:
        app = web.Application()
        sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}", runner


# Where a broadcast finds its recipients: python-socketio's participants of the room, or
# the rosters FanoutManager keeps in step with the rooms.
RECIPIENTS = ["participants", "rosters"]


async def start_hub(
    limits: FanoutLimits | None = None, recipients: str = "participants"
) -> tuple[Hub, web.AppRunner]:
    if recipients == "rosters":
        manager = FanoutManager(limits)
        sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager)
        fanout = manager.fanout
    else:
        sio = socketio.AsyncServer(async_mode="aiohttp")
        fanout = RoomFanout(sio, limits)
    url, runner = await serve_app(sio)
    hub = Hub(sio, fanout, url)

    @sio.on("connect", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    async def connect(sid: str, environ: Any, auth: Any) -> None:
        await sio.enter_room(sid, (auth or {}).get("room", ROOM), namespace=NAMESPACE)

    @sio.on("disconnect", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    async def disconnect(sid: str, reason: str) -> None:
        hub.disconnected.append(sid)

    return hub, runner


@pytest.fixture(params=RECIPIENTS)
async def hub(request: pytest.FixtureRequest) -> AsyncIterator[Hub]:
    server, runner = await start_hub(recipients=request.param)
    yield server
    await runner.cleanup()


class Viewer:
    """A python-socketio client that records the events it receives between markers."""

    def __init__(self, transports: list[str] | None, room: str = ROOM) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.transports = transports
        self.room = room
        self.events: list[tuple[str, Any]] = []
        self.arrived = asyncio.Event()
        self.gone = asyncio.Event()
        self._between_markers: asyncio.Queue[list[tuple[str, Any]]] = asyncio.Queue()
        self.client.on("*", self._record, namespace=NAMESPACE)
        self.client.on("disconnect", lambda *_: self.gone.set(), namespace=NAMESPACE)

    async def _record(self, event: str, *args: Any) -> None:
        # One argument is kept as it is; several (an emitted tuple) as a tuple.
        payload = args[0] if len(args) == 1 else args
        if event == "marker":
            self._between_markers.put_nowait(self.events)
            self.events = []
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
        """The events received after the previous marker and before the next one."""
        return await asyncio.wait_for(self._between_markers.get(), 10)


class RawViewer:
    """Engine.IO over a bare websocket, keeping every text frame exactly as it arrived."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def connect(self, url: str, room: str = ROOM) -> None:
        self.ws = await self.session.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
        opened = await self.ws.receive_str()
        assert opened.startswith("0{")
        await self.ws.send_str(f"40{NAMESPACE}," + json.dumps({"room": room}))
        connected = await self.ws.receive_str()
        assert connected.startswith(f"40{NAMESPACE},")

    async def until_marker(self) -> list[str]:
        """The frames received after the previous marker event and before the next one."""
        frames: list[str] = []
        while True:
            message = await asyncio.wait_for(self.ws.receive(), 10)
            assert message.type == aiohttp.WSMsgType.TEXT, message
            if message.data.startswith(f'42{NAMESPACE},["marker"'):
                return frames
            if message.data != "2":  # engine.io ping
                frames.append(message.data)


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
            assert await viewer.until_marker() == [("readout", READOUT)]

        report = await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", READOUT)
        await hub.emit("marker", {})

        assert report.delivered == len(viewers) + 2
        assert report.dropped == 0
        assert report.queued >= 1  # at least the polling-only viewer
        assert await raw.until_marker() == [expected]
        assert await reference.until_marker() == [expected]
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


@pytest.mark.parametrize("recipients", RECIPIENTS)
async def test_broadcast_yields_to_the_event_loop_between_batches(recipients: str) -> None:
    server, runner = await start_hub(FanoutLimits(batch_size=2), recipients)
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


@pytest.mark.parametrize("recipients", RECIPIENTS)
async def test_a_viewer_that_stops_reading_is_disconnected_not_buffered(recipients: str) -> None:
    server, runner = await start_hub(FanoutLimits(max_buffered_bytes=256 * 1024), recipients)
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


@pytest.mark.parametrize("recipients", RECIPIENTS)
async def test_a_polling_viewer_with_a_long_queue_is_disconnected(recipients: str) -> None:
    server, runner = await start_hub(FanoutLimits(max_queued_packets=3), recipients)
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


# --- what keeps a direct write from overtaking engine.io's own packets ----------------


async def confirmed(hub: Hub, viewers: list[Viewer]) -> None:
    """A first broadcast, written directly to every viewer: each is plainly on its websocket."""
    report = await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", {"seq": 0})
    await hub.emit("marker", {})
    assert report == FanoutReport(direct=len(viewers), queued=0, dropped=0)
    for viewer in viewers:
        assert await viewer.until_marker() == [("readout", {"seq": 0})]


def event_packet(seq: int) -> eio_packet.Packet:
    return eio_packet.Packet(
        eio_packet.MESSAGE, encode_event_message(NAMESPACE, "readout", {"seq": seq})[1:]
    )


@pytest.mark.parametrize("popped", [False, True])
async def test_a_packet_in_engineios_queue_stays_ahead_until_it_is_written(
    hub: Hub, popped: bool
) -> None:
    """Engine.io's writer pops a packet in a task of its own and marks it done only when
    it resumes, just before handing it to aiohttp: until then a direct write would overtake
    it, whether it still sits in the queue or has been popped."""
    viewer = Viewer(["websocket"])
    await viewer.connect(hub.url)
    await confirmed(hub, [viewer])
    eio_sid = hub.sio.manager.eio_sid_from_sid(viewer.client.get_sid(NAMESPACE), NAMESPACE)
    queue = hub.sio.eio.sockets[eio_sid].queue

    await hub.sio.eio.send_packet(eio_sid, event_packet(1))
    if popped:
        for _ in range(1000):
            if queue.empty():
                break
            await asyncio.sleep(0)
        else:
            pytest.fail("engine.io's writer never took the packet")
    assert unfinished(queue) == 1
    report = await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", {"seq": 2})
    await hub.emit("marker", {})

    assert report == FanoutReport(direct=0, queued=1, dropped=0)
    assert await viewer.until_marker() == [("readout", {"seq": 1}), ("readout", {"seq": 2})]
    await viewer.close(hub)


@pytest.mark.parametrize("recipients", RECIPIENTS)
async def test_a_session_being_closed_gets_nothing_more_directly(recipients: str) -> None:
    """engine.io marks a session closing before python-socketio's disconnect handlers run
    and before it leaves its rooms: a broadcast in that moment skips it."""
    hub, runner = await start_hub(recipients=recipients)
    staying, leaving = Viewer(["websocket"]), Viewer(["websocket"])
    for viewer in (staying, leaving):
        await viewer.connect(hub.url)
    await confirmed(hub, [staying, leaving])
    reports: list[FanoutReport] = []

    async def disconnect(sid: str, reason: str) -> None:
        reports.append(await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", {"seq": 1}))

    hub.sio.on("disconnect", disconnect, namespace=NAMESPACE)
    await leaving.close(hub)
    await hub.emit("marker", {})

    assert reports == [FanoutReport(direct=1, queued=0, dropped=0)]
    assert await staying.until_marker() == [("readout", {"seq": 1})]
    await staying.close(hub)
    await runner.cleanup()


@pytest.mark.parametrize("recipients", RECIPIENTS)
async def test_a_session_half_way_through_its_upgrade_is_served_by_polling(
    recipients: str,
) -> None:
    """Between opening its websocket and confirming the upgrade a client still reads the
    long-polling transport; engine.io holds packets back from the websocket until then."""
    hub, runner = await start_hub(recipients=recipients)
    base = f"{hub.url}/socket.io/?EIO=4"
    async with aiohttp.ClientSession() as session:
        opened = await (await session.get(f"{base}&transport=polling")).text()
        sid = json.loads(opened[1:])["sid"]
        polled = f"{base}&transport=polling&sid={sid}"
        await session.post(polled, data=f"40{NAMESPACE}," + json.dumps({"room": ROOM}))
        assert (await (await session.get(polled)).text()).startswith(f"40{NAMESPACE},")
        ws = await session.ws_connect(f"{base}&transport=websocket&sid={sid}")
        eio_socket = hub.sio.eio.sockets[sid]
        for _ in range(500):
            if hub.fanout.websocket_viewers == 1 and eio_socket.upgrading:
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the websocket never opened")

        report = await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", {"seq": 1})

        assert report == FanoutReport(direct=0, queued=1, dropped=0)
        # The upgrade completes, and engine.io's writer sends what it held back, on the
        # websocket, ahead of everything after it.
        await ws.send_str("2probe")
        assert await ws.receive_str() == "3probe"
        await ws.send_str("5")
        assert await ws.receive_str() == f'42{NAMESPACE},["readout",{{"seq":1}}]'
        assert await ws.receive_str() == "6"  # engine.io's end of the long poll
        report = await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", {"seq": 2})
        assert report == FanoutReport(direct=1, queued=0, dropped=0)
        assert await ws.receive_str() == f'42{NAMESPACE},["readout",{{"seq":2}}]'
        await ws.close()
    await runner.cleanup()


async def test_the_rosters_follow_every_change_of_the_rooms() -> None:
    hub, runner = await start_hub(recipients="rosters")
    manager = hub.sio.manager
    fanout = hub.fanout

    def agree() -> None:
        rooms = {
            (namespace, room): set(members.values())
            for namespace, by_room in manager.rooms.items()
            for room, members in by_room.items()
        }
        assert {key: fanout.audience(*key) for key in fanout._audiences} == rooms

    websocket, upgrading, polling = Viewer(["websocket"]), Viewer(None), Viewer(["polling"])
    elsewhere = Viewer(["websocket"], room="session-2")
    viewers = [websocket, upgrading, polling, elsewhere]
    for viewer in viewers:
        await viewer.connect(hub.url)
        agree()
    for _ in range(500):
        if fanout.websocket_viewers == 3:
            break
        await asyncio.sleep(0.01)
    agree()
    # The upgraded session moved to the websocket viewers; the polling one stays queued.
    eio_sids = {
        viewer: manager.eio_sid_from_sid(viewer.client.get_sid(NAMESPACE), NAMESPACE)
        for viewer in viewers
    }
    assert set(fanout._audiences[NAMESPACE, ROOM].others) == {eio_sids[polling]}

    sid = websocket.client.get_sid(NAMESPACE)
    await hub.sio.enter_room(sid, "session-2", namespace=NAMESPACE)
    agree()
    await hub.sio.leave_room(sid, ROOM, namespace=NAMESPACE)
    agree()
    await hub.sio.close_room("session-2", namespace=NAMESPACE)
    agree()
    assert (NAMESPACE, "session-2") not in fanout._audiences
    for viewer in viewers:
        await viewer.close(hub)
        agree()
    assert fanout._audiences == {}
    assert fanout._seats == {}
    await runner.cleanup()


def test_refuses_a_server_it_cannot_encode_for() -> None:
    with pytest.raises(ValueError, match="async_mode"):
        RoomFanout(socketio.AsyncServer(async_mode="asgi"))
    with pytest.raises(ValueError, match="JSON"):
        RoomFanout(socketio.AsyncServer(async_mode="aiohttp", serializer=OtherPacket))


class OtherPacket(sio_packet.Packet):  # type: ignore[misc]
    """A serializer of the application's own, whose bytes the fast path cannot promise."""


# --- the client managers that put the fast path behind sio.emit ----------------------


async def serve(sio: Any) -> tuple[str, web.AppRunner]:
    """Serve `sio` with its clients put in ROOM of /public and of /host."""
    url, runner = await serve_app(sio)

    def joins(namespace: str) -> Any:
        async def connect(sid: str, environ: Any, auth: Any) -> None:
            await sio.enter_room(sid, ROOM, namespace=namespace)

        return connect

    async def answer(sid: str) -> str:
        return "pong"

    sio.on("connect", joins(NAMESPACE), namespace=NAMESPACE)
    sio.on("connect", joins("/host"), namespace="/host")
    sio.on("ping-me", answer, namespace="/host")
    return url, runner


async def test_emit_through_the_fanout_manager_takes_the_fast_path_for_the_hubs_rooms() -> None:
    manager = FanoutManager()
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager)
    url, runner = await serve(sio)
    viewers = [Viewer(["websocket"]) for _ in range(3)]
    for viewer in viewers:
        await viewer.connect(url)
    host = socketio.AsyncClient(reconnection=False)
    host_events: list[Any] = []
    host.on("readout", host_events.append, namespace="/host")
    await host.connect(url, namespaces=["/host"], transports=["websocket"])

    await sio.emit("readout", READOUT, to=ROOM, namespace=NAMESPACE)
    await sio.emit("readout", {"seq": 2}, to=ROOM, namespace="/host", callback=None)
    await sio.emit("marker", {}, to=ROOM, namespace=NAMESPACE)
    # A round trip on the same connection, so everything sent on /host before it arrived.
    assert await host.call("ping-me", namespace="/host") == "pong"

    # Three viewers twice on /public, the host once on /host.
    assert manager.fanout.totals == FanoutReport(direct=7, queued=0, dropped=0)
    for viewer in viewers:
        assert await viewer.until_marker() == [("readout", READOUT)]
        await viewer.client.disconnect()
    await host.disconnect()
    assert host_events == [{"seq": 2}]
    await runner.cleanup()


async def test_a_batch_arrives_as_separate_events_in_order_with_one_write_per_client() -> None:
    manager = FanoutManager()
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager)
    url, runner = await serve(sio)
    viewers = [Viewer(["websocket"]) for _ in range(3)]
    for viewer in viewers:
        await viewer.connect(url)
    skipped = viewers[0].client.get_sid(NAMESPACE)
    first, second, third = {"seq": 1}, READOUT, {"seq": 3}

    await sio.emit("readout", EventBatch((first, second, third)), to=ROOM, namespace=NAMESPACE)
    assert manager.fanout.totals == FanoutReport(direct=3, queued=0, dropped=0)
    # python-socketio's path (here for skip_sid) sends the batch payload by payload.
    await sio.emit(
        "readout", EventBatch((third, first)), to=ROOM, namespace=NAMESPACE, skip_sid=skipped
    )
    await sio.emit("marker", {}, to=ROOM, namespace=NAMESPACE)

    in_order = [("readout", first), ("readout", second), ("readout", third)]
    assert await viewers[0].until_marker() == in_order
    for viewer in viewers[1:]:
        assert await viewer.until_marker() == [*in_order, ("readout", third), ("readout", first)]
    for viewer in viewers:
        await viewer.client.disconnect()
    await runner.cleanup()
    with pytest.raises(ValueError, match="at least one"):
        EventBatch(())


async def test_emits_the_fast_path_cannot_express_keep_python_socketios_path() -> None:
    manager = FanoutManager()
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager)
    url, runner = await serve(sio)
    skipped, reached = Viewer(["websocket"]), Viewer(["websocket"])
    await skipped.connect(url)
    await reached.connect(url)

    await sio.emit(
        "readout", READOUT, to=ROOM, namespace=NAMESPACE, skip_sid=skipped.client.get_sid(NAMESPACE)
    )
    await sio.emit("readout", ({"seq": 1}, {"seq": 2}), to=ROOM, namespace=NAMESPACE)
    await sio.emit("marker", {}, to=ROOM, namespace=NAMESPACE)

    # Only the marker went through the fan-out (queued or direct, behind the others).
    assert manager.fanout.totals.delivered == 2
    two_arguments = ("readout", ({"seq": 1}, {"seq": 2}))
    assert await skipped.until_marker() == [two_arguments]
    assert await reached.until_marker() == [("readout", READOUT), two_arguments]
    for viewer in (skipped, reached):
        await viewer.client.disconnect()
    await runner.cleanup()


async def test_redis_manager_delivers_on_every_node_through_each_nodes_fanout() -> None:
    channel = f"bidopen-test-fanout-{uuid.uuid4()}"
    nodes = [FanoutRedisManager("redis://127.0.0.1:6379/0", channel=channel) for _ in range(2)]
    servers = [socketio.AsyncServer(async_mode="aiohttp", client_manager=m) for m in nodes]
    started = [await serve(sio) for sio in servers]
    viewers = [[Viewer(["websocket"]) for _ in range(2)], [Viewer(["websocket"])]]
    for (url, _), crowd in zip(started, viewers, strict=True):
        for viewer in crowd:
            await viewer.connect(url)

    # Each node subscribes to the channel when its first client connects.
    async with redis.asyncio.Redis(host="127.0.0.1", port=6379) as client:
        for _ in range(500):
            ((_, subscribers),) = await client.pubsub_numsub(channel)
            if subscribers == 2:
                break
            await asyncio.sleep(0.01)
        assert subscribers == 2

    # A batch crosses Redis as one message and is written to each websocket at once.
    batch = EventBatch((READOUT, {"seq": 8}))
    await servers[0].emit("readout", batch, to=ROOM, namespace=NAMESPACE)
    await servers[0].emit("marker", {}, to=ROOM, namespace=NAMESPACE)

    for crowd in viewers:
        for viewer in crowd:
            assert await viewer.until_marker() == [("readout", READOUT), ("readout", {"seq": 8})]
    assert [m.fanout.totals.direct for m in nodes] == [2 * 2, 1 * 2]  # batch and marker
    for sio, (_, runner) in zip(servers, started, strict=True):
        for crowd in viewers:
            for viewer in crowd:
                if viewer.client.connected:
                    await viewer.client.disconnect()
        await sio.shutdown()
        await runner.cleanup()


async def test_a_node_passes_over_undecoded_what_is_for_rooms_it_has_no_client_in() -> None:
    channel = f"bidopen-test-doorbell-{uuid.uuid4()}"
    nodes = [FanoutRedisManager("redis://127.0.0.1:6379/0", channel=channel) for _ in range(2)]
    servers = [socketio.AsyncServer(async_mode="aiohttp", client_manager=m) for m in nodes]
    rang: list[str] = []
    nodes[1].on_remote_event = rang.append
    runners = []
    urls = []
    for sio in servers:

        async def connect(sid: str, environ: Any, auth: Any, sio: Any = sio) -> None:
            await sio.enter_room(sid, auth["room"], namespace=NAMESPACE)

        sio.on("connect", connect, namespace=NAMESPACE)
        url, runner = await serve_app(sio)
        urls.append(url)
        runners.append(runner)
    # Node 0 has viewers of both sessions, node 1 of the shared one only.
    here_only = Viewer(["websocket"], room="session-2")
    shared = [Viewer(["websocket"]), Viewer(["websocket"])]
    await here_only.connect(urls[0])
    await shared[0].connect(urls[0])
    await shared[1].connect(urls[1])
    async with redis.asyncio.Redis(host="127.0.0.1", port=6379) as client:
        for _ in range(500):
            ((_, subscribers),) = await client.pubsub_numsub(channel)
            if subscribers == 2:
                break
            await asyncio.sleep(0.01)
        assert subscribers == 2

    await servers[0].emit("readout", EventBatch((READOUT,)), to="session-2", namespace=NAMESPACE)
    await servers[0].emit("marker", {}, to="session-2", namespace=NAMESPACE)
    assert await here_only.until_marker() == [("readout", READOUT)]
    # The host room of a session without a client here still rings the scheduler.
    await servers[0].emit("event", {"seq": 1}, to="session-3", namespace="/host")
    await servers[0].emit("readout", {"seq": 9}, to=ROOM, namespace=NAMESPACE)
    await servers[0].emit("marker", {}, to=ROOM, namespace=NAMESPACE)
    for viewer in shared:
        assert await viewer.until_marker() == [("readout", {"seq": 9})]

    # Node 1 decoded and wrote the shared session's two emits only; node 0 heard nothing
    # of its own back.
    assert nodes[1].passed_over == 3  # session-2's two emits and session-3's host room
    assert rang == ["session-3"]
    assert nodes[1].fanout.totals.direct == 2
    assert nodes[0].passed_over == 0
    for viewer in (here_only, *shared):
        await viewer.client.disconnect()
    for sio, runner in zip(servers, runners, strict=True):
        await sio.shutdown()
        await runner.cleanup()


# --- a browser's socket.io-client, which negotiates permessage-deflate ---------------

CHROMIUM = Path("/usr/bin/chromium")
SOCKET_IO_BUNDLE = (
    Path(__file__).resolve().parents[2] / "client_web/static/vendor/socket.io.bundle.js"
)
BROWSER_PAGE = """<!doctype html><meta charset="utf-8"><script type="module">
import { io } from "/socket.io.bundle.js";
window.received = { websocket: [], upgraded: [] };
for (const [name, transports] of [["websocket", ["websocket"]], ["upgraded", undefined]]) {
  const socket = io("/public", { transports, forceNew: true, auth: { room: "session-1" } });
  socket.on("readout", (message) => window.received[name].push(message));
}
</script>"""


def arrived(count: int) -> str:
    return f"Object.values(window.received).every((seen) => seen.length === {count})"


async def page_handler(request: web.Request) -> web.Response:
    return web.Response(text=BROWSER_PAGE, content_type="text/html")


async def bundle_handler(request: web.Request) -> web.FileResponse:
    return web.FileResponse(SOCKET_IO_BUNDLE)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
async def test_a_browser_gets_fast_frames_between_compressed_ones() -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    fanout = RoomFanout(sio)
    app = web.Application()
    sio.attach(app)
    app.router.add_get("/", page_handler)
    app.router.add_get("/socket.io.bundle.js", bundle_handler)

    extensions: list[str] = []

    async def connect(sid: str, environ: Any, auth: Any) -> None:
        extensions.append(environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS", ""))
        await sio.enter_room(sid, auth["room"], namespace=NAMESPACE)

    sio.on("connect", connect, namespace=NAMESPACE)
    url, runner = await serve_app(sio, app)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page()
        await page.goto(url)
        for _ in range(500):
            sockets = [eio_sid for _, eio_sid in sio.manager.get_participants(NAMESPACE, ROOM)]
            if len(sockets) == 2 and all(sio.eio.sockets[s].upgraded for s in sockets):
                break
            await asyncio.sleep(0.02)

        # emit compresses each message for its connection; the fast frames come in between,
        # a small one uncompressed and a large one compressed once for every connection,
        # and the browser must inflate everything around them as well as them.
        lines = [f"投标人{n}：{n * 7919}.00" for n in range(400)]
        sent: list[dict[str, Any]] = [
            {"seq": 1, "text": "第一"},
            {"seq": 2, "text": "第二"},
            {"seq": 3, "text": "第三", "lines": lines[::-1]},
            {"seq": 4, "text": "第四"},
            {"seq": 5, "text": "第五", "lines": lines},
            {"seq": 6, "text": "第六", "lines": lines[1:]},
        ]
        reports = []
        for message in sent:
            if message["seq"] in (2, 5):
                reports.append(await fanout.broadcast(NAMESPACE, ROOM, "readout", message))
            else:
                await sio.emit("readout", message, to=ROOM, namespace=NAMESPACE)
            await page.wait_for_function(arrived(message["seq"]))
        received = await page.evaluate("window.received")
        await browser.close()
    await runner.cleanup()

    assert any("permessage-deflate" in offered for offered in extensions)
    assert [report.direct for report in reports] == [2, 2]
    assert received == {"websocket": sent, "upgraded": sent}


def test_the_fast_path_works_under_uvloop() -> None:
    """uvloop's transports are not `asyncio.WriteTransport`s; the fan-out writes to them too."""
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> FanoutReport:
        hub, runner = await start_hub()
        assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")
        viewers = [Viewer(["websocket"]) for _ in range(2)]
        for viewer in viewers:
            await viewer.connect(hub.url)
        report = await hub.fanout.broadcast(NAMESPACE, ROOM, "readout", READOUT)
        await hub.emit("marker", {})
        for viewer in viewers:
            assert await viewer.until_marker() == [("readout", READOUT)]
            await viewer.client.disconnect()
        await runner.cleanup()
        return report

    assert uvloop.run(scenario()) == FanoutReport(direct=2, queued=0, dropped=0)
