"""The signed head of a session's log, public: copies kept elsewhere show a shortened log."""

from __future__ import annotations

from aiohttp import web

from bidopen.appkeys import LOG_HEADS, SESSIONS
from bidopen.errors import HubError
from bidopen.http.declared import answers
from bidopen.wire.messages import SignedDocument

routes = web.RouteTableDef()


@routes.get("/api/sessions/{session_id}/log-head")
@answers(SignedDocument, description="The newest signed `log-head` of the session.")
async def log_head(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    await request.app[SESSIONS].load(session_id)  # a broken log is refused, not vouched for
    text = request.app[LOG_HEADS].document(session_id)
    if text is None:
        raise HubError("tender_not_found")
    return web.Response(text=text, content_type="application/json")
