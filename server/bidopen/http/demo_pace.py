"""`GET /api/demo`: whether the hub runs the demo, and at what pace (the front page says so)."""

from __future__ import annotations

from aiohttp import web

from bidopen.appkeys import CONFIG

routes = web.RouteTableDef()


@routes.get("/api/demo")
async def demo_pace(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    if not config.demo:
        return web.json_response({"demo": False})
    # Imported here: only a demo hub needs the demo's modules.
    from bidopen.demo import DemoPace

    return web.json_response({"demo": True, **DemoPace(config.demo_speed).public()})
