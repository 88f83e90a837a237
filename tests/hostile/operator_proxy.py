"""The dishonest operator's position: an honest hub behind a proxy that rewrites what it says.

The hub is configured with the proxy's origin (as for any reverse proxy), so challenges,
origins and cookies work through it. The proxy forwards every request and websocket to the
hub and lets a test rewrite JSON answers (tender bodies, snapshots, the clock, postponement
notices) and socket frames (events), and it records every data key a client sends.
A data key sent through the proxy is what a dishonest operator would read bids with.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

# (method, path) -> the JSON answer the client should see instead, or None to keep it.
JsonRewrite = Callable[[str, str, Any], Any]
# A socket frame's text -> the text the client should see instead.
FrameRewrite = Callable[[str], str]

_HOP_HEADERS = {
    "connection",
    "content-encoding",
    "content-length",
    "host",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
}
DATA_KEY_PATH = re.compile(r"^/api/tenders/[^/]+/lots/[^/]+/data-key$")


@dataclass
class SentKey:
    path: str
    body: str


@dataclass
class OperatorProxy:
    """Forwards to `upstream`; `json_rewrites` and `frame_rewrites` run in order."""

    upstream: str
    port: int
    json_rewrites: list[JsonRewrite] = field(default_factory=list)
    frame_rewrites: list[FrameRewrite] = field(default_factory=list)
    data_keys: list[SentKey] = field(default_factory=list)
    # With `forward_keys` False the proxy keeps a data key to itself (the hub never sees it).
    forward_keys: bool = True
    _runner: web.AppRunner | None = None
    _client: aiohttp.ClientSession | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._client = aiohttp.ClientSession(auto_decompress=True)
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def __aenter__(self) -> OperatorProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def rewrite_json(self, rewrite: JsonRewrite) -> None:
        self.json_rewrites.append(rewrite)

    def rewrite_frames(self, rewrite: FrameRewrite) -> None:
        self.frame_rewrites.append(rewrite)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        assert self._client is not None
        body = await request.read()
        if request.method == "POST" and DATA_KEY_PATH.match(request.path):
            self.data_keys.append(SentKey(request.path, body.decode(errors="replace")))
            if not self.forward_keys:
                return web.json_response({"stolen": True})
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        async with self._client.request(
            request.method,
            self.upstream + request.path_qs,
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            out_headers = {
                k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS
            }
            if upstream.content_type == "application/json" and self.json_rewrites:
                payload = self._rewrite(request.method, request.path, payload)
            elif request.path.startswith("/socket.io/") and self.frame_rewrites:
                payload = self._rewrite_polling(payload)
            return web.Response(status=upstream.status, body=payload, headers=out_headers)

    def _rewrite(self, method: str, path: str, payload: bytes) -> bytes:
        value = json.loads(payload)
        for rewrite in self.json_rewrites:
            changed = rewrite(method, path, value)
            if changed is not None:
                value = changed
        return json.dumps(value, ensure_ascii=False).encode()

    def _frame(self, text: str) -> str:
        for rewrite in self.frame_rewrites:
            text = rewrite(text)
        return text

    def _rewrite_polling(self, payload: bytes) -> bytes:
        # Engine.IO long-polling joins packets with the record separator 0x1e.
        text = payload.decode(errors="surrogateescape")
        return "\x1e".join(self._frame(p) for p in text.split("\x1e")).encode(
            errors="surrogateescape"
        )

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        assert self._client is not None
        client_side = web.WebSocketResponse(autoping=True)
        await client_side.prepare(request)
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in _HOP_HEADERS and not k.lower().startswith("sec-websocket")
        }
        url = self.upstream.replace("http", "ws", 1) + request.path_qs
        async with self._client.ws_connect(url, headers=headers, autoping=True) as hub_side:

            async def down() -> None:
                async for message in hub_side:
                    if message.type is aiohttp.WSMsgType.TEXT:
                        await client_side.send_str(self._frame(message.data))
                    elif message.type is aiohttp.WSMsgType.BINARY:
                        await client_side.send_bytes(message.data)

            async def up() -> None:
                async for message in client_side:
                    if message.type is aiohttp.WSMsgType.TEXT:
                        await hub_side.send_str(message.data)
                    elif message.type is aiohttp.WSMsgType.BINARY:
                        await hub_side.send_bytes(message.data)

            tasks = [asyncio.create_task(down()), asyncio.create_task(up())]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
        await client_side.close()
        return client_side


def session_path(tender_id: str) -> str:
    return f"/api/sessions/{tender_id}"


def replace_view(tender_id: str, **changes: Any) -> JsonRewrite:
    """Snapshots of `tender_id` say what the operator wants (a phase, a deadline, bids)."""

    def rewrite(method: str, path: str, value: Any) -> Any:
        if path == session_path(tender_id) and isinstance(value, dict) and "view" in value:
            value["view"].update(changes)
            return value
        return None

    return rewrite


def replace_tender(tender_id: str, **changes: Any) -> JsonRewrite:
    """The public description of `tender_id` says what the operator wants."""

    def rewrite(method: str, path: str, value: Any) -> Any:
        if path == f"/api/tenders/{tender_id}" and isinstance(value, dict):
            value.update(changes)
            return value
        return None

    return rewrite


def replace_answer(path: str, answer: Any) -> JsonRewrite:
    """Any JSON answer at `path` is replaced whole."""

    def rewrite(method: str, seen: str, value: Any) -> Any:
        return answer if seen == path else None

    return rewrite


_SOCKET_PACKET = re.compile(r"^4([23])(/[^,]*,)?(\d*)(.*)$", re.S)


def replace_snapshot_frames(tender_id: str, **changes: Any) -> FrameRewrite:
    """Snapshots of `tender_id` sent over the socket (the answer to `join`) say what the
    operator wants: the socket.io frame `43/ns,ID[{"snapshot": {"view": …}}]` is rewritten."""

    def rewrite(text: str) -> str:
        match = _SOCKET_PACKET.match(text)
        if match is None:
            return text
        try:
            args = json.loads(match[4])
        except ValueError:
            return text
        changed = False
        for arg in args if isinstance(args, list) else []:
            snapshot = arg.get("snapshot") if isinstance(arg, dict) else None
            view = snapshot.get("view") if isinstance(snapshot, dict) else None
            if isinstance(view, dict) and view.get("tender_id") == tender_id:
                view.update(changes)
                changed = True
        if not changed:
            return text
        body = json.dumps(args, ensure_ascii=False)
        return f"4{match[1]}{match[2] or ''}{match[3]}{body}"

    return rewrite
