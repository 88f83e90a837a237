"""The hub's clock for the pages: `GET /api/time`, which countdowns follow to the millisecond."""

from __future__ import annotations

from aiohttp import web

from bidopen.appkeys import CLOCK
from bidopen.clock import iso
from bidopen.http.declared import answers
from bidopen.wire.answers import ServerTime

routes = web.RouteTableDef()


@routes.get("/api/time")
@answers(ServerTime)
async def server_time(request: web.Request) -> web.Response:
    # No account and no database: a page may ask a few times in a row to find the fastest
    # round trip, and a cached answer would be a stale clock.
    return web.json_response(
        {"now": iso(request.app[CLOCK].now())}, headers={"Cache-Control": "no-store"}
    )
