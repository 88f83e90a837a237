"""The public log over HTTP (C2SP tlog-tiles under /log/): checkpoint, tiles, entries, vkey."""

from __future__ import annotations

from aiohttp import web

from bidopen.appkeys import DATABASE, PUBLIC_LOG, SIGNER
from bidopen.errors import HubError
from bidopen.http.declared import OCTETS, TEXT, answers
from bidopen.service.bundles import receipt_proof, session_bundle
from bidopen.service.checkpoint_qr import hall_checkpoint
from bidopen.tlog.errors import LogError
from bidopen.tlog.tiles import parse_tile_path
from bidopen.wire.answers import Bundle, HallCheckpoint

routes = web.RouteTableDef()

# The checkpoint changes every second or so; a tile never changes once it exists.
_CHECKPOINT_CACHE = "public, max-age=1"
_TILE_CACHE = "public, max-age=31536000, immutable"


@routes.get("/log/checkpoint")
@answers(media_type=TEXT, description="The newest signed checkpoint (C2SP signed note).")
async def checkpoint(request: web.Request) -> web.Response:
    note = await request.app[PUBLIC_LOG].checkpoint()
    if note is None:
        raise web.HTTPServiceUnavailable(text="no checkpoint yet\n")
    return web.Response(
        body=note, headers={"Content-Type": TEXT, "Cache-Control": _CHECKPOINT_CACHE}
    )


@routes.get("/api/log/checkpoint")
@answers(HallCheckpoint)
async def checkpoint_for_hall(request: web.Request) -> web.Response:
    """The newest checkpoint with its figures and a QR code of it, for the big screen."""
    log = request.app[PUBLIC_LOG]
    note = await log.checkpoint()
    if note is None:
        raise HubError("unavailable", "The public log has no checkpoint yet.")
    return web.json_response(
        hall_checkpoint(note, log.origin), headers={"Cache-Control": _CHECKPOINT_CACHE}
    )


@routes.get("/log/vkey")
@answers(media_type=TEXT, description="The log's verifier key, one line.")
async def vkey(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[PUBLIC_LOG].vkey + "\n",
        headers={"Content-Type": TEXT, "Cache-Control": "public, max-age=300"},
    )


@routes.get("/log/tile/{path:.+}")
@answers(media_type=OCTETS, description="A hash tile or an entry bundle (C2SP tlog-tiles).")
async def tile(request: web.Request) -> web.Response:
    try:
        wanted = parse_tile_path("tile/" + request.match_info["path"])
    except LogError as exc:
        raise web.HTTPNotFound(text=f"{exc}\n") from exc
    data = await request.app[PUBLIC_LOG].tile(wanted)
    if data is None:
        raise web.HTTPNotFound(text="no such tile under the current checkpoint\n")
    response = web.Response(
        body=data,
        headers={"Content-Type": OCTETS, "Cache-Control": _TILE_CACHE},
    )
    if wanted.entries:
        response.enable_compression()
    return response


@routes.get("/api/log/proof/{index:[0-9]{1,19}}")
@answers(media_type=TEXT, description="A `c2sp.org/tlog-proof@v1` of the entry.")
async def proof(request: web.Request) -> web.Response:
    """The tlog-proof of an entry under the newest checkpoint (a client keeps it)."""
    try:
        found = await request.app[PUBLIC_LOG].proof(int(request.match_info["index"]))
    except LogError as exc:
        raise HubError("not_found", str(exc)) from exc
    return web.Response(
        body=found.format(), headers={"Content-Type": TEXT, "Cache-Control": "no-store"}
    )


@routes.get("/api/sessions/{session_id:[A-Za-z0-9._-]{1,64}}/bundle")
@answers(Bundle)
async def bundle(request: web.Request) -> web.Response:
    """One file per opening: what `bidopen verify` checks offline (public, like the log)."""
    app = request.app
    session_id = request.match_info["session_id"]
    old = request.query.get("old")
    if old is not None and not (old.isascii() and old.isdigit() and len(old) <= 19):
        raise HubError("validation_failed", "old must be a tree size")
    try:
        found = await session_bundle(
            app[DATABASE],
            app[PUBLIC_LOG],
            app[SIGNER],
            session_id,
            None if old is None else int(old),
        )
    except LogError as exc:
        raise HubError("not_found", str(exc)) from exc
    if not found["entries"]:
        raise HubError("not_found", "the log holds no entry of this session yet")
    return web.json_response(
        found,
        headers={
            "Content-Disposition": f'attachment; filename="{session_id}.bundle.json"',
            "Cache-Control": "no-store",
        },
    )


@routes.get("/api/sessions/{session_id:[A-Za-z0-9._-]{1,64}}/log-head")
@answers(status=308, media_type=TEXT, description="Moved for good to the session's bundle.")
async def log_head(request: web.Request) -> web.Response:
    """Replaced by the public log: the bundle holds the checkpoint and every event's proof."""
    raise web.HTTPPermanentRedirect(f"/api/sessions/{request.match_info['session_id']}/bundle")


@routes.get(
    "/api/sessions/{session_id:[A-Za-z0-9._-]{1,64}}/receipts/{receipt_sha256:[0-9a-f]{64}}/proof"
)
@answers(media_type=TEXT, description="The tlog-proof of the receipt's bid entry.")
async def receipt(request: web.Request) -> web.Response:
    """After the deadline: the tlog-proof that a receipt's bid is in the log (entry in `extra`)."""
    info = request.match_info
    try:
        found = await receipt_proof(
            request.app[PUBLIC_LOG], info["session_id"], info["receipt_sha256"]
        )
    except LogError as exc:
        raise HubError("not_found", str(exc)) from exc
    return web.Response(
        body=found.format(), headers={"Content-Type": TEXT, "Cache-Control": "no-store"}
    )
