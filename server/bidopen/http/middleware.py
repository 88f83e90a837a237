"""The one place where errors become JSON of one shape, and where request size is policed."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from bidopen.errors import HubError, error_payload
from bidopen.faults import as_fault
from bidopen.metrics import METRICS

log = logging.getLogger("bidopen.http")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "message_too_large",
    422: "validation_failed",
    429: "rate_limited",
}


def error_response(error: HubError) -> web.Response:
    response = web.json_response(error_payload(error), status=error.status)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every refusal into `{"error": {"code", "message", "message_zh"}}` under /api/."""
    try:
        return await handler(request)
    except HubError as error:
        _count(request, error)
        return error_response(error)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        code = _STATUS_CODES.get(
            exc.status, "bad_request" if exc.status < 500 else "internal_error"
        )
        return error_response(HubError(code))
    except Exception as exc:
        if isinstance(exc, ConnectionResetError) and _client_gone(request):
            # The client left mid-request (a closed tab, a viewer dropping its socket during
            # the websocket handshake): normal, and nothing can reach it any more. 499 is
            # the access log's "client closed request"; aiohttp drops the unsendable answer.
            log.debug("client left during a %s request", request.method)
            return web.Response(status=499)
        fault = as_fault(exc, f"a {request.method} request")
        if fault is not None:
            _count(request, fault)
            return error_response(fault)
        # The path is not logged: before the deadline it would tell who is uploading.
        log.exception("unhandled error in %s request", request.method)
        return error_response(HubError("internal_error"))


def _client_gone(request: web.Request) -> bool:
    """True when the connection to the client is closed; a reset elsewhere is a real error."""
    transport = request.transport
    return transport is None or transport.is_closing()


def _count(request: web.Request, error: HubError) -> None:
    """Refusals by code in the metrics; a database outage also counts as a database error."""
    metrics = request.app.get(METRICS)
    if metrics is None:
        return
    metrics.refusals.labels(error.code).inc()
    if error.code == "database_unavailable":
        metrics.database_errors.inc()
