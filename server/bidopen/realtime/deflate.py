"""permessage-deflate (RFC 7692) for frames compressed once and written to many websockets."""

from __future__ import annotations

import zlib
from typing import Any

from aiohttp import hdrs, web
from aiohttp.compression_utils import ZLibCompressor
from aiohttp.http_websocket import WebSocketWriter, ws_ext_gen

# RFC 7692 section 7.2.1: a sender compresses, flushes with Z_SYNC_FLUSH and removes the
# four bytes that flush always ends with; the receiver appends them again.
_FLUSH_TAIL = b"\x00\x00\xff\xff"
# Compressed once per broadcast for thousands of viewers the best ratio is worth its
# millisecond (44 KB of read-out: about 1.1 ms at level 9 against 0.3 ms at level 1, and
# a quarter fewer bytes for every viewer); for a message to one client or a few (a
# snapshot, a reconnecting crowd's catch-up) the fastest level, as aiohttp's own.
BEST_LEVEL = 9
FAST_LEVEL = 1
# Below this a message is sent uncompressed: inflating it would cost a viewer more than
# the bytes saved.  RFC 7692 lets a sender leave any message uncompressed.
MIN_DEFLATE_BYTES = 512


def deflate_message(data: bytes, window_bits: int, level: int = BEST_LEVEL) -> bytes:
    """The payload of one compressed message that needs no earlier context to inflate.

    A fresh compressor per message, as `server_no_context_takeover` promises; `window_bits`
    is the connection's negotiated `server_max_window_bits` (9 to 15).
    """
    if not 9 <= window_bits <= 15:
        raise ValueError(f"window bits must be 9 to 15, not {window_bits}")
    compressor = zlib.compressobj(level, zlib.DEFLATED, -window_bits)
    compressed = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    if not compressed.endswith(_FLUSH_TAIL):
        raise AssertionError("zlib's sync flush did not end with an empty stored block")
    return compressed[: -len(_FLUSH_TAIL)]


class TransientDeflateWriter(WebSocketWriter):
    """aiohttp's writer, with a compressor for each message that is dropped after it.

    aiohttp keeps one deflate state per connection (about 256 KiB with a 15-bit window) and
    resets it with a full flush after each message when the context is not taken over: with
    thousands of viewers that held about 500 MiB for messages that come seconds apart.
    """

    def _get_compressor(self, compress: int | None) -> ZLibCompressor:
        return super()._get_compressor(compress or self.compress)


class IndependentDeflateResponse(web.WebSocketResponse):
    """aiohttp's websocket response, declaring `server_no_context_takeover` whenever it deflates.

    With context takeover the client inflates each message with the window of the ones
    before it, so a message compressed once for thousands of connections would corrupt
    every later one.  RFC 7692 section 7.1.1.1 lets a server add the parameter even when
    the client did not ask for it, and every client must then honour it; aiohttp's own
    writer then starts a fresh compressor for each message too.
    """

    # The writer each connection gets (a subclass may report more of what it does).
    writer_class: type[TransientDeflateWriter] = TransientDeflateWriter

    def _pre_start(self, request: Any) -> Any:
        protocol, writer = super()._pre_start(request)
        writer = self.writer_class(
            writer.protocol,
            writer.transport,
            compress=writer.compress,
            notakeover=bool(writer.compress) or writer.notakeover,
            limit=writer._limit,
        )
        return protocol, writer

    def _handshake(self, request: Any) -> Any:
        headers, protocol, compress, notakeover = super()._handshake(request)
        if compress and not notakeover:
            headers[hdrs.SEC_WEBSOCKET_EXTENSIONS] = ws_ext_gen(
                compress=compress, isserver=True, server_notakeover=True
            )
            notakeover = True
        return headers, protocol, compress, notakeover

    @property
    def deflate_window_bits(self) -> int:
        """The negotiated window (9 to 15) if this connection compresses, else 0."""
        return int(self.compress)
