"""What each route reads, attached to its view: the one source of its body and of the OpenAPI.

`@reads(Body)` for a JSON body, `@reads(by=("command", BODIES))` when a path parameter
picks the body, `@reads(octets=True)` for a raw upload. `json_body` refuses to read a body
other than the declared one, so the published description cannot drift from the views.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

F = TypeVar("F", bound=Callable[..., Any])
_ATTRIBUTE = "__bidopen_reads__"


@dataclass(frozen=True)
class Reads:
    json: type[msgspec.Struct] | None = None
    by: tuple[str, Mapping[str, type[msgspec.Struct]]] | None = None
    octets: bool = False

    def bodies(self, match_info: Mapping[str, str]) -> tuple[type[msgspec.Struct], ...]:
        """The declarations this request may be read into."""
        found: tuple[type[msgspec.Struct], ...] = () if self.json is None else (self.json,)
        if self.by is not None:
            parameter, bodies = self.by
            chosen = bodies.get(match_info.get(parameter, ""))
            found += () if chosen is None else (chosen,)
        return found


def reads(
    json: type[msgspec.Struct] | None = None,
    *,
    by: tuple[str, Mapping[str, type[msgspec.Struct]]] | None = None,
    octets: bool = False,
) -> Callable[[F], F]:
    def attach(view: F) -> F:
        setattr(view, _ATTRIBUTE, Reads(json=json, by=by, octets=octets))
        return view

    return attach


def reads_of(view: object) -> Reads | None:
    return getattr(view, _ATTRIBUTE, None)
