"""The simulated viewers' permessage-deflate (RFC 7692): negotiation, frames, inflation."""

from __future__ import annotations

import zlib

import pytest

from bidopen.simulate.websocket import (
    DEFLATE_OFFER,
    MAX_MESSAGE,
    OP_CONTINUATION,
    OP_PING,
    OP_TEXT,
    Deflate,
    FrameDecoder,
    WebSocketProtocolError,
    check_handshake_response,
    make_handshake,
    parse_deflate_response,
)


def _deflate(data: bytes, window_bits: int = 15) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -window_bits)
    return (compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]


def _frame(first: int, payload: bytes) -> bytes:
    assert len(payload) < 126
    return bytes([first, len(payload)]) + payload


def _accepting(handshake_accept: str, extensions: str) -> bytes:
    head = f"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: {handshake_accept}"
    if extensions:
        head += f"\r\nSec-WebSocket-Extensions: {extensions}"
    return head.encode()


def test_the_offer_is_made_only_when_asked_for() -> None:
    offering = make_handshake("h:1", "/", "http://h:1", deflate=True)
    plain = make_handshake("h:1", "/", "http://h:1")
    assert f"Sec-WebSocket-Extensions: {DEFLATE_OFFER}\r\n".encode() in offering.request
    assert b"Sec-WebSocket-Extensions" not in plain.request


def test_the_servers_answer_is_read_and_an_unoffered_extension_refused() -> None:
    handshake = make_handshake("h:1", "/", "http://h:1", deflate=True)
    answer = "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"
    deflate = check_handshake_response(
        _accepting(handshake.expected_accept, answer),
        handshake.expected_accept,
        offered_deflate=True,
    )
    assert deflate == Deflate(server_no_context_takeover=True, server_max_window_bits=10)
    assert (
        check_handshake_response(
            _accepting(handshake.expected_accept, ""),
            handshake.expected_accept,
            offered_deflate=True,
        )
        is None
    )
    with pytest.raises(WebSocketProtocolError, match="nobody offered"):
        check_handshake_response(
            _accepting(handshake.expected_accept, "permessage-deflate"), handshake.expected_accept
        )


@pytest.mark.parametrize(
    "answer",
    [
        "x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; mystery",
        "permessage-deflate, permessage-deflate",
    ],
)
def test_answers_outside_the_offer_are_refused(answer: str) -> None:
    with pytest.raises(WebSocketProtocolError):
        parse_deflate_response(answer)


def test_an_8_bit_window_is_inflated_with_9_bits() -> None:
    assert parse_deflate_response("permessage-deflate; server_max_window_bits=8") == Deflate(
        False, 9
    )


def test_compressed_messages_are_flagged_and_left_compressed() -> None:
    decoder = FrameDecoder(deflate=True)
    text = b'42/public,["event",{"seq":1}]' * 3
    first, rest = _deflate(text)[:5], _deflate(text)[5:]
    messages = decoder.feed(
        _frame(0x80 | OP_TEXT, b"plain")
        + _frame(0x40 | OP_TEXT, first)  # RSV1 on the first fragment only
        + _frame(0x80 | OP_PING, b"p")
        + _frame(0x80 | OP_CONTINUATION, rest)
    )
    assert [(m.opcode, m.compressed) for m in messages] == [
        (OP_TEXT, False),
        (OP_PING, False),
        (OP_TEXT, True),
    ]
    assert Deflate().inflater().inflate(messages[2].payload) == text


@pytest.mark.parametrize(
    ("deflate", "first"),
    [
        (False, 0xC0 | OP_TEXT),  # RSV1 without a negotiated extension
        (True, 0xA0 | OP_TEXT),  # RSV2
        (True, 0x90 | OP_TEXT),  # RSV3
        (True, 0xC0 | OP_PING),  # a compressed control frame
    ],
)
def test_reserved_bits_nobody_agreed_on_fail_the_connection(deflate: bool, first: int) -> None:
    with pytest.raises(WebSocketProtocolError):
        FrameDecoder(deflate=deflate).feed(_frame(first, b"x"))


def test_independent_messages_inflate_alone_and_their_head_without_the_rest() -> None:
    inflater = Deflate(server_no_context_takeover=True).inflater()
    first, second = b"A" * 3000 + b"first", b"A" * 3000 + b"second"
    assert inflater.inflate(_deflate(first)) == first
    assert inflater.inflate(_deflate(second)) == second
    assert inflater.head(_deflate(second), 10) == b"A" * 10


def test_with_context_takeover_the_window_carries_over_and_heads_are_refused() -> None:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    one = (compressor.compress(b"shared words " * 50) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
    two = (compressor.compress(b"shared words " * 50) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
    inflater = Deflate(server_no_context_takeover=False).inflater()
    assert inflater.inflate(one) == b"shared words " * 50
    assert inflater.inflate(two) == b"shared words " * 50
    with pytest.raises(ValueError, match="context takeover"):
        inflater.head(two, 10)


def test_a_message_that_inflates_past_the_limit_or_not_at_all_is_refused() -> None:
    inflater = Deflate(server_no_context_takeover=True).inflater()
    with pytest.raises(WebSocketProtocolError, match="size limit"):
        inflater.inflate(_deflate(b"\x00" * (MAX_MESSAGE + 1)))
    with pytest.raises(WebSocketProtocolError, match="does not inflate"):
        inflater.inflate(b"\xff\xff\xff\xff not deflate")
