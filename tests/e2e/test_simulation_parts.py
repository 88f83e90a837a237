"""The pure parts behind the client and the simulation: wire codecs, ordering, figures."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import secrets
import struct
import sys

import pytest

from bidopen.client import ClientError, EventMessage, Snapshot
from bidopen.client.feed import EventSequencer, SessionFeed
from bidopen.simulate import socketio_wire as wire
from bidopen.simulate.bidders import assign_roles
from bidopen.simulate.options import SimulationOptions, loopback_sources, viewer_plan
from bidopen.simulate.stats import Spread, percentile
from bidopen.simulate.viewer import (
    CheapViewer,
    ViewerState,
    decoded_head,
    packet_digest,
    watch_key,
)
from bidopen.simulate.viewer_pool import split, worker_count
from bidopen.simulate.websocket import (
    OP_PING,
    OP_TEXT,
    FrameDecoder,
    WebSocketProtocolError,
    check_handshake_response,
    encode_frame,
    make_handshake,
)


def _server_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    first = (0x80 if fin else 0) | opcode
    if len(payload) < 126:
        return bytes([first, len(payload)]) + payload
    if len(payload) < 1 << 16:
        return struct.pack("!BBH", first, 126, len(payload)) + payload
    return struct.pack("!BBQ", first, 127, len(payload)) + payload


def _unmask(frame: bytes) -> tuple[int, bytes]:
    length = frame[1] & 0x7F
    offset = 2
    if length == 126:
        (length,) = struct.unpack_from("!H", frame, 2)
        offset = 4
    elif length == 127:
        (length,) = struct.unpack_from("!Q", frame, 2)
        offset = 10
    mask = frame[offset : offset + 4]
    body = frame[offset + 4 : offset + 4 + length]
    return frame[0] & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(body))


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536])
def test_client_frames_are_masked_and_carry_the_payload(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    frame = encode_frame(OP_TEXT, payload)
    assert frame[0] == 0x80 | OP_TEXT
    assert frame[1] & 0x80, "a client frame must be masked"
    assert _unmask(frame) == (OP_TEXT, payload)


def test_decoder_joins_split_and_fragmented_messages() -> None:
    decoder = FrameDecoder()
    stream = (
        _server_frame(OP_TEXT, b"42/public,", fin=False)
        + _server_frame(OP_PING, b"p")
        + _server_frame(0x0, b'["event",{}]')
        + _server_frame(OP_TEXT, b"x" * 70000)
    )
    messages = []
    for i in range(0, len(stream), 7):  # as TCP might cut it
        messages += decoder.feed(stream[i : i + 7])
    assert [(m.opcode, m.payload[:12]) for m in messages] == [
        (OP_PING, b"p"),
        (OP_TEXT, b'42/public,["'),
        (OP_TEXT, b"x" * 12),
    ]
    assert messages[1].payload == b'42/public,["event",{}]'
    assert len(messages[2].payload) == 70000


def test_decoder_refuses_masked_server_frames_and_stray_continuations() -> None:
    with pytest.raises(WebSocketProtocolError):
        FrameDecoder().feed(bytes([0x81, 0x80 | 1]) + b"mask" + b"x")
    with pytest.raises(WebSocketProtocolError):
        FrameDecoder().feed(_server_frame(0x0, b"orphan"))


def test_decoders_fed_the_same_broadcast_share_one_parse() -> None:
    broadcast = _server_frame(OP_TEXT, b'42/public,["event",{"kind":"x"}]' * 3) + _server_frame(
        OP_PING, b"p"
    )
    first = FrameDecoder().feed(bytes(bytearray(broadcast)))
    second = FrameDecoder().feed(bytes(bytearray(broadcast)))
    assert second == first
    assert [m.opcode for m in second] == [OP_TEXT, OP_PING]
    assert second[0].payload is first[0].payload  # held once for every viewer
    # Other bytes of the same length are parsed, not taken from the last parse.
    other = broadcast.replace(b'"x"', b'"y"')
    assert FrameDecoder().feed(other)[0].payload == other[2:-3]


def test_a_decoder_with_bytes_pending_does_not_take_the_shared_parse() -> None:
    broadcast = _server_frame(OP_TEXT, b"42" + b"z" * 80)
    assert len(FrameDecoder().feed(broadcast)) == 1
    waiting = FrameDecoder()
    # A frame header whose payload is exactly the next feed: the broadcast's bytes are
    # that payload here, not frames of their own.
    assert waiting.feed(bytes([0x81, len(broadcast)])) == []
    (message,) = waiting.feed(broadcast)
    assert message.payload == broadcast


def test_the_shared_parse_is_kept_apart_for_decoders_without_deflate() -> None:
    compressed = bytes([0xC1, 70]) + b"c" * 70  # RSV1: a compressed text message
    assert FrameDecoder(deflate=True).feed(compressed)[0].compressed
    with pytest.raises(WebSocketProtocolError, match="reserved bits"):
        FrameDecoder().feed(compressed)


def _seated_viewer(watch: frozenset[str], token: str) -> ViewerState:
    plan = dataclasses.replace(viewer_plan("http://127.0.0.1:1", "ZB-1"), watch=watch)
    state = ViewerState(joined=True)
    viewer = CheapViewer(plan, state, lambda change: None)
    viewer._upgrade.complete = True  # as after the server accepted the upgrade
    for kind in ("confirmed", "read_out"):
        packet = f'42/public,["event",{{"kind":"{kind}","seq":7,"data":"{token}"}}]'.encode()
        viewer.data_received(_server_frame(OP_TEXT, packet))
    return state


@pytest.mark.parametrize("watching_first", [True, False])
def test_viewers_that_watch_different_events_each_see_their_own(watching_first: bool) -> None:
    # The heads of plain events are memoised per process; a viewer watching something
    # else must not make another one miss the read-out, in either order.
    watching, elsewhere = frozenset({"event/read_out"}), frozenset({"event/record_published"})
    order = [watching, elsewhere] if watching_first else [elsewhere, watching]
    # Packets of their own, so that no earlier test's memo stands in for this one.
    token = secrets.token_hex(8)
    states = {watch: _seated_viewer(watch, token) for watch in order}
    assert set(states[watching].sightings) == {"event/read_out"}
    assert states[elsewhere].sightings == {}


def test_handshake_accept_is_checked() -> None:
    handshake = make_handshake("127.0.0.1:8080", "/socket.io/?EIO=4", "http://127.0.0.1:8080")
    key = next(
        line.split(": ")[1]
        for line in handshake.request.decode().split("\r\n")
        if line.startswith("Sec-WebSocket-Key")
    )
    guid = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    accept = base64.b64encode(hashlib.sha1(key.encode() + guid).digest()).decode()
    assert accept == handshake.expected_accept
    good = f"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: {accept}".encode()
    check_handshake_response(good, handshake.expected_accept)
    with pytest.raises(WebSocketProtocolError, match="refused"):
        check_handshake_response(b"HTTP/1.1 400 Bad Request", handshake.expected_accept)
    with pytest.raises(WebSocketProtocolError, match="wrong"):
        check_handshake_response(
            b"HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: nope", handshake.expected_accept
        )


def test_socketio_packets_decode_with_namespace_and_ack() -> None:
    assert (
        wire.encode_connect("/public", {"session_id": "ZB-1"}) == '40/public,{"session_id":"ZB-1"}'
    )
    assert wire.encode_connect("/") == "40"
    assert wire.decode('0{"sid":"x"}') == wire.EnginePacket("0", '{"sid":"x"}')
    assert wire.decode("2") == wire.EnginePacket("2", "")
    event = wire.decode('42/public,["event",{"seq":3,"kind":"read_out"}]')
    assert event == wire.SocketPacket(
        "2", "/public", None, ["event", {"seq": 3, "kind": "read_out"}]
    )
    ack = wire.decode('43/host,12[{"ok":true}]')
    assert ack == wire.SocketPacket("3", "/host", 12, [{"ok": True}])
    assert wire.decode("40/public,").data is None
    for bad in ("", "9", "4x", "42/public,[broken", "451-/public,[]"):
        with pytest.raises(wire.SocketIOWireError):
            wire.decode(bad)


def test_event_heads_are_read_without_the_payload() -> None:
    packet = b'42/public,["event",{"seq":12,"kind":"read_out","data":{"lots":[]}}]'
    head = wire.peek_event(packet)
    assert head == wire.EventHead("/public", "event", "read_out")
    assert watch_key(head) == "event/read_out"
    snapshot = wire.peek_event(b'42/public,["snapshot",{"seq":3}]')
    assert snapshot is not None and watch_key(snapshot) == "snapshot"
    assert wire.peek_event(b'42["event",{"seq":1,"kind":"a\\"b"}]') == wire.EventHead(
        "/", "event", 'a"b'
    )
    assert wire.peek_event(b"43/public,1[]") is None
    assert wire.peek_event(b"2") is None
    # Another member order is still understood, the slow way.
    reordered = b'42/public,["event",{"kind":"read_out","seq":12,"data":{}}]'
    assert decoded_head(reordered) == wire.EventHead("/public", "event", "read_out")
    assert packet_digest(packet) == packet_digest(bytes(packet))
    assert packet_digest(packet) != packet_digest(reordered)
    plan = viewer_plan("http://127.0.0.1:9000", "ZB-2026-000001")
    assert (plan.host, plan.port, plan.namespace) == ("127.0.0.1", 9000, "/public")
    assert plan.needles == (b'"read_out"', b'"record_published"', b'"snapshot"')


def _message(seq: int, kind: str = "k") -> EventMessage:
    return EventMessage(seq, kind, {})


def test_sequencer_releases_in_order_and_drops_repeats() -> None:
    sequencer = EventSequencer(last_seq=2)
    assert sequencer.offer(_message(2)) == []
    assert sequencer.offer(_message(4)) == []
    assert sequencer.has_gap
    assert [m.seq for m in sequencer.offer(_message(3))] == [3, 4]
    assert not sequencer.has_gap
    assert sequencer.offer(_message(4)) == []
    assert sequencer.last_seq == 4


async def test_feed_fills_a_gap_from_the_log() -> None:
    fetched: list[int] = []

    async def fetch_after(after: int) -> list[EventMessage]:
        fetched.append(after)
        return [_message(seq) for seq in range(after + 1, 6)]

    feed = SessionFeed(fetch_after)
    feed.deliver(_message(1))  # before the snapshot: held, then dropped as already seen
    feed.start(Snapshot(seq=1, role="public", view={"phase": "scheduled"}))
    feed.deliver(_message(4, "read_out"))
    async with asyncio.timeout(5):
        found = await feed.wait_for("read_out")
    assert found.seq == 4
    assert fetched == [1]
    assert [m.seq for m in feed.history] == [2, 3, 4, 5]
    await feed.close()


async def test_feed_reports_a_gap_it_cannot_fill() -> None:
    async def fetch_after(after: int) -> list[EventMessage]:
        raise ClientError("unreachable", "hub gone")

    feed = SessionFeed(fetch_after)
    feed.start(Snapshot(seq=0, role="public", view={}))
    feed.deliver(_message(3))
    with pytest.raises(ClientError, match="hub gone"):
        async with asyncio.timeout(5):
            await feed.next()


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 0.5)
    spread = Spread.after(1_000_000_000, [1_010_000_000, 1_002_000_000, 1_004_000_000])
    assert spread == Spread(count=3, p50_ms=4.0, p99_ms=10.0, max_ms=10.0)
    assert Spread.after(0, []) is None


def test_roles_keep_failing_and_objecting_bidders_apart() -> None:
    roles = assign_roles(5, 1, 1)
    assert [r.fails_to_decrypt for r in roles] == [True, False, False, False, False]
    assert [r.objects for r in roles] == [False, False, False, False, True]
    with pytest.raises(ValueError):
        assign_roles(3, 4, 0)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="--bidders"):
        SimulationOptions(bidders=0, viewers=1)
    with pytest.raises(ValueError, match="host account"):
        SimulationOptions(bidders=1, viewers=1, url="http://127.0.0.1:8080")
    with pytest.raises(ValueError, match="http"):
        SimulationOptions(bidders=1, viewers=1, url="https://hub.example", host_user="h")
    options = SimulationOptions(bidders=300, viewers=5000)
    assert options.lead(registration_seconds=5.0) == 18.0
    assert options.window_seconds == 190


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="all of 127/8 is local on Linux")
def test_crowd_is_shared_out_evenly_and_spread_over_loopback() -> None:
    assert split(10, 3) == [4, 3, 3]
    assert sum(split(5000, 4)) == 5000
    sources = loopback_sources("http://127.0.0.1:8080", 5000, 40)
    assert len(sources) == 125 and len(set(sources)) == 125
    assert all(source.startswith("127.") for source in sources)
    assert loopback_sources("http://hub.example:8080", 5000, 40) == ()


@pytest.mark.parametrize(
    ("viewers", "cpus", "workers"),
    [(5000, 2, 1), (5000, 8, 4), (20, 8, 1), (100_000, 64, 8), (5000, 1, 1)],
)
def test_viewer_workers_leave_the_hub_a_core(viewers: int, cpus: int, workers: int) -> None:
    assert worker_count(viewers, cpus) == workers


def test_bidders_answer_the_read_out_over_the_second_half_of_their_reading_time() -> None:
    options = SimulationOptions(bidders=4, viewers=0, reading_seconds=3.0)
    assert [options.reading_delay(i) for i in range(4)] == [1.5, 1.875, 2.25, 2.625]
    assert SimulationOptions(bidders=4, viewers=0, reading_seconds=0).reading_delay(3) == 0
    with pytest.raises(ValueError, match="--reading"):
        SimulationOptions(bidders=4, viewers=0, reading_seconds=-1)
