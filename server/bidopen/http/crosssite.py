"""Content types the API accepts: a cross-site page cannot send a request that reaches a view.

A browser lets any page send a "simple" POST to any origin without asking: its body may be
`text/plain`, a form or multipart, and no custom header is allowed. Every POST of the API
therefore takes `application/json` only, which a foreign page cannot send without a CORS
preflight that the hub never grants; the one upload (PUT) takes `application/octet-stream`.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from bidopen.errors import HubError

JSON = "application/json"
OCTETS = "application/octet-stream"


def required_content_type(method: str, path: str) -> str | None:
    if not path.startswith("/api/"):
        return None
    if method == "POST":
        return JSON
    if method == "PUT":
        return OCTETS
    return None


@web.middleware
async def content_type_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """415 `unsupported_media_type` before any view runs; a missing type is no exception."""
    if request.match_info.http_exception is not None:
        return await handler(request)  # no such route or method: its 404 or 405 stands
    required = required_content_type(request.method, request.path)
    declared = request.headers.get("Content-Type")
    if required is not None and (declared is None or request.content_type != required):
        raise HubError(
            "unsupported_media_type",
            f"This request takes Content-Type: {required}.",
            f"此请求只接受 Content-Type: {required}。",
            field="Content-Type",
        )
    return await handler(request)
