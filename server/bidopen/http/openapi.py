"""The OpenAPI 3.1 description of the REST API, built from the app's own router.

Every route under `/api/` is listed with its path parameters; the request body comes from
the view's `@reads` declaration (a command route lists one path per command, each with
its body); every refusal is the one error body. `GET /api/openapi.json` serves it, and
docs/openapi.json is the same document checked in.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from bidopen.http.declared import Reads, reads_of
from bidopen.wire.messages import ErrorBody
from bidopen.wire.schemas import COMPONENT_REF, components, json_text

OPENAPI_PATH = "/api/openapi.json"
_REF = COMPONENT_REF
_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}")


def _template(route: web.AbstractRoute) -> str | None:
    info = route.resource.get_info() if route.resource is not None else {}
    path = info.get("formatter") or info.get("path")
    return _PARAMETER.sub(r"{\1}", path) if isinstance(path, str) else None


def _operation(
    method: str, path: str, reads: Reads | None, body: type[Any] | None
) -> dict[str, Any]:
    names = _PARAMETER.findall(path)
    operation: dict[str, Any] = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{method.lower()}{path}").strip("_"),
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in names
        ],
        "responses": {
            "2XX": {"description": "Done; the answer is described in docs/protocol.md."},
            "4XX": _error_response("Refused; nothing changed (docs/protocol.md 1.2)."),
            "5XX": _error_response("The hub failed or is unavailable."),
        },
    }
    if body is not None:
        schema = {"$ref": _REF.format(name=body.__name__)}
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": schema}},
        }
    elif reads is not None and reads.octets:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    return operation


def _error_response(description: str) -> dict[str, Any]:
    schema = {"$ref": _REF.format(name=ErrorBody.__name__)}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi(app: web.Application) -> dict[str, Any]:
    """The description of every `/api/` route the app has."""
    paths: dict[str, dict[str, Any]] = {}
    declared: set[type[Any]] = {ErrorBody}
    for route in app.router.routes():
        path = _template(route)
        if path is None or not path.startswith("/api/") or route.method in ("HEAD", "*"):
            continue
        reads = reads_of(route.handler)
        method = route.method.lower()
        if reads is not None and reads.by is not None:
            parameter, bodies = reads.by
            for name, chosen in sorted(bodies.items()):
                concrete = path.replace("{" + parameter + "}", name)
                paths.setdefault(concrete, {})[method] = _operation(method, concrete, reads, chosen)
                declared.add(chosen)
            continue
        body = reads.json if reads is not None else None
        if body is not None:
            declared.add(body)
        paths.setdefault(path, {})[method] = _operation(method, path, reads, body)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "bidopen hub",
            "version": "1",
            "description": "REST API of the bid-opening hub; docs/protocol.md is the prose.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components(declared),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi_view(request: web.Request) -> web.Response:
    return web.json_response(openapi(request.app))


def document_text(app: web.Application) -> str:
    return json_text(openapi(app))
