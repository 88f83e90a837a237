"""The browser pages and their static files, served from the `client_web/` folder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bidopen.http.declared import answers

PAGES = {
    "/": "index.html",
    "/bidder": "bidder.html",
    "/host": "host.html",
    "/camera": "camera.html",
    "/screen/{tender_id}": "screen.html",
    "/tender/{tender_id}": "tender.html",
    "/verify": "verify.html",
}


def add_page_routes(app: web.Application, web_root: Path) -> None:
    """Serve whatever of client_web/ exists; a missing page is a plain 404."""
    pages = web_root / "pages"

    def page(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @answers(media_type="text/html", description=f"The page {name}.")
        async def handler(request: web.Request) -> web.StreamResponse:
            path = pages / name
            if not path.is_file():
                raise web.HTTPNotFound()
            return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

        return handler

    for route, name in PAGES.items():
        app.router.add_get(route, page(name))
    static = web_root / "static"
    if static.is_dir():
        app.router.add_static("/static/", static, follow_symlinks=False)
