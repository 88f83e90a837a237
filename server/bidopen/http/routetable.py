"""The app's routes with what each declares (`@reads`, `@answers`), and finding one by path.

The OpenAPI document, the test that every route declares its answer and the test suite's
contract watch all list the routes here, so they agree on which routes there are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bidopen.http.declared import Answer, Reads, answers_of, reads_of

# Socket.IO's own transport (described by the AsyncAPI document) and static files.
NOT_DESCRIBED = ("/socket.io/", "/static/")
_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}")


@dataclass(frozen=True)
class DeclaredRoute:
    """One method on one path, with its declarations."""

    method: str
    path: str  # the template, parameters as `{name}`
    pattern: re.Pattern[str]
    reads: Reads | None
    answers: tuple[Answer, ...]

    def answer(self, status: int) -> Answer | None:
        return next((a for a in self.answers if a.status == status), None)


def template(route: web.AbstractRoute) -> str | None:
    """The route's path with its parameters as `{name}` (their regular expressions dropped)."""
    info = route.resource.get_info() if route.resource is not None else {}
    path = info.get("formatter") or info.get("path")
    return _PARAMETER.sub(r"{\1}", path) if isinstance(path, str) else None


def parameters(path: str) -> list[str]:
    return _PARAMETER.findall(path)


def _pattern(route: web.AbstractRoute, path: str) -> re.Pattern[str]:
    info: dict[str, Any] = dict(route.resource.get_info()) if route.resource is not None else {}
    found = info.get("pattern")
    return found if isinstance(found, re.Pattern) else re.compile(re.escape(path))


def declared_routes(app: web.Application) -> list[DeclaredRoute]:
    """Every route of the app but HEAD (aiohttp's twin of GET), static files and Socket.IO."""
    found: list[DeclaredRoute] = []
    for route in app.router.routes():
        path = template(route)
        if path is None or route.method in ("HEAD", "*") or path.startswith(NOT_DESCRIBED):
            continue
        found.append(
            DeclaredRoute(
                method=route.method,
                path=path,
                pattern=_pattern(route, path),
                reads=reads_of(route.handler),
                answers=answers_of(route.handler),
            )
        )
    return found


def find(routes: Iterable[DeclaredRoute], method: str, path: str) -> DeclaredRoute | None:
    """The route a request for `method` and `path` reaches (as the router would choose)."""
    for route in routes:
        if route.method == method and route.pattern.fullmatch(path):
            return route
    return None
