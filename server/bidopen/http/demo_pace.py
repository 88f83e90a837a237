"""`GET /api/demo`: whether the hub runs the demo, and at what pace (the front page says so)."""

from __future__ import annotations

from aiohttp import web

from bidopen.appkeys import CONFIG
from bidopen.http.declared import answers
from bidopen.wire.answers import DemoPace

routes = web.RouteTableDef()


@routes.get("/api/demo")
@answers(DemoPace)
async def demo_pace(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    if not config.demo:
        return web.json_response({"demo": False})
    # Imported here: only a demo hub needs the demo's modules.
    from bidopen import demo

    return web.json_response({"demo": True, **demo.DemoPace(config.demo_speed).public()})
