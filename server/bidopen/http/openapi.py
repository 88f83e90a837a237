"""The OpenAPI 3.1 description of the hub's HTTP API, built from the app's own router.

Every route but the browser pages is listed with its path parameters; the request body
comes from the view's `@reads` declaration (a command route lists one path per command,
each with its body), each successful answer from its `@answers` (status, media type and,
for JSON, the body's schema); every refusal under `/api/` is the one error body.
`GET /api/openapi.json` serves it, and docs/openapi.json is the same document checked in.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from aiohttp import web

from bidopen.http.declared import JSON, Answer, Reads, answers
from bidopen.http.routetable import DeclaredRoute, declared_routes, parameters
from bidopen.wire.answers import OpenApiDocument
from bidopen.wire.messages import ErrorBody
from bidopen.wire.schemas import COMPONENT_REF, components, json_text

OPENAPI_PATH = "/api/openapi.json"
_REF = COMPONENT_REF
# Pages are for browsers (text/html); the document describes what programs call.
_PAGE = "text/html"
_OCTETS = {"type": "string", "format": "binary"}
_TEXT_ERROR = {"text/plain": {"schema": {"type": "string"}}}


def _schema(body: type[Any], declared: set[type[Any]]) -> dict[str, Any]:
    """A reference to a Struct's component, or the inline schema of any other type."""
    if isinstance(body, type) and issubclass(body, msgspec.Struct):
        declared.add(body)
        return {"$ref": _REF.format(name=body.__name__)}
    return msgspec.json.schema(body)


def _answer(answer: Answer, declared: set[type[Any]]) -> dict[str, Any]:
    if answer.is_json and answer.body is not None:
        schema = _schema(answer.body, declared)
    else:
        schema = {"type": "string"} if answer.media_type.startswith("text/") else _OCTETS
    return {"description": answer.description, "content": {answer.media_type: {"schema": schema}}}


def _operation(
    route: DeclaredRoute, path: str, body: type[Any] | None, declared: set[type[Any]]
) -> dict[str, Any]:
    method = route.method.lower()
    responses: dict[str, Any] = {
        str(answer.status): _answer(answer, declared) for answer in route.answers
    }
    responses["4XX"] = _error_response("Refused; nothing changed (docs/protocol.md 1.2).", path)
    responses["5XX"] = _error_response("The hub failed or is unavailable.", path)
    operation: dict[str, Any] = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{method}{path}").strip("_"),
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in parameters(path)
        ],
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {JSON: {"schema": _schema(body, declared)}},
        }
    elif route.reads is not None and route.reads.octets:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/octet-stream": {"schema": _OCTETS}},
        }
    return operation


def _error_response(description: str, path: str) -> dict[str, Any]:
    content: dict[str, Any] = {JSON: {"schema": {"$ref": _REF.format(name=ErrorBody.__name__)}}}
    if not path.startswith("/api/"):
        content |= _TEXT_ERROR  # the public log's plain 404 and 503
    return {"description": description, "content": content}


def described(route: DeclaredRoute) -> bool:
    """Whether the document lists the route: everything but the browser pages."""
    return not route.answers or any(answer.media_type != _PAGE for answer in route.answers)


def openapi(app: web.Application) -> dict[str, Any]:
    """The description of every route the app has but its pages, static files and sockets."""
    paths: dict[str, dict[str, Any]] = {}
    declared: set[type[Any]] = {ErrorBody}
    for route in declared_routes(app):
        if not described(route):
            continue
        for path, body in _bodies(route.path, route.reads):
            paths.setdefault(path, {})[route.method.lower()] = _operation(
                route, path, body, declared
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "bidopen hub",
            "version": "1",
            "description": "HTTP API of the bid-opening hub; docs/protocol.md is the prose.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components(declared),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _bodies(path: str, reads: Reads | None) -> list[tuple[str, type[Any] | None]]:
    """Each path the route stands for, with its request body: a command route one per command."""
    if reads is not None and reads.by is not None:
        parameter, bodies = reads.by
        return [
            (path.replace("{" + parameter + "}", name), chosen)
            for name, chosen in sorted(bodies.items())
        ]
    return [(path, reads.json if reads is not None else None)]


TABLE_START, TABLE_END = "<!-- answers:start -->", "<!-- answers:end -->"


def answer_table(app: web.Application) -> str:
    """protocol.md's table of every route's successful answers, linking their schemas."""
    rows = ["| route | status | answer |", "|---|---|---|"]
    for route in sorted(declared_routes(app), key=lambda r: (r.path, r.method)):
        if not described(route):
            continue
        for answer in route.answers:
            if answer.body is not None:
                name = answer.body.__name__
                shown = f"[`{name}`](schemas/answers/{name}.json)"
            else:
                shown = f"`{answer.media_type}`"
            rows.append(f"| `{route.method} {route.path}` | {answer.status} | {shown} |")
    return "\n".join(rows) + "\n"


def with_answer_table(protocol: str, table: str) -> str:
    """protocol.md with the table between its markers replaced."""
    before, rest = protocol.split(TABLE_START, 1)
    after = rest.split(TABLE_END, 1)[1]
    return f"{before}{TABLE_START}\n{table}{TABLE_END}{after}"


@answers(OpenApiDocument)
async def openapi_view(request: web.Request) -> web.Response:
    return web.json_response(openapi(request.app))


def document_text(app: web.Application) -> str:
    return json_text(openapi(app))
