"""What each route reads and answers, attached to its view: the one source of the OpenAPI.

`@reads(Body)` for a JSON body, `@reads(by=("command", BODIES))` when a path parameter
picks the body, `@reads(octets=True)` for a raw upload. `json_body` refuses to read a body
other than the declared one, so the published description cannot drift from the views.

`@answers(Answer, status=200)` names the successful answer (a Struct of
`bidopen.wire.answers` or `bidopen.wire.messages`); `@answers(media_type="text/plain")` one
that is not JSON (a file, a tile, a checkpoint). Stack it for a second status. Every route
of the app declares its answer: the OpenAPI describes it, and the test suite's contract
watch holds every answer it sees to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

F = TypeVar("F", bound=Callable[..., Any])
_ATTRIBUTE = "__bidopen_reads__"
_ANSWERS = "__bidopen_answers__"
JSON = "application/json"
OCTETS = "application/octet-stream"
TEXT = "text/plain; charset=utf-8"
PDF = "application/pdf"


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


@dataclass(frozen=True)
class Answer:
    """One successful answer of a route: its status, media type and (for JSON) its body."""

    status: int
    media_type: str
    body: type[Any] | None
    description: str

    @property
    def is_json(self) -> bool:
        return self.media_type == JSON


def answers(
    body: type[Any] | None = None,
    *,
    status: int = 200,
    media_type: str = JSON,
    description: str = "",
) -> Callable[[F], F]:
    """Declare a successful answer; JSON answers name their body's declaration."""
    if (body is None) == (media_type == JSON):
        raise TypeError("a JSON answer names its body; any other names only its media type")

    def attach(view: F) -> F:
        # A bound method (the video views) shares its function's declarations.
        target = getattr(view, "__func__", view)
        found: tuple[Answer, ...] = getattr(target, _ANSWERS, ())
        doc = (body.__doc__ or "").strip().split("\n")[0] if body is not None else ""
        answer = Answer(status, media_type, body, description or doc or "Done.")
        setattr(target, _ANSWERS, (answer, *found))
        return view

    return attach


def answers_of(view: object) -> tuple[Answer, ...]:
    """The successful answers a view declares, by status; empty if it declares none."""
    return tuple(sorted(getattr(view, _ANSWERS, ()), key=lambda answer: answer.status))


def missing_answer(method: str, path: str) -> str:
    """What a route without a declared answer must add."""
    return (
        f"{method} {path} declares no answer: put `@answers(Body, status=200)` "
        "(bidopen.http.declared) on its view, with `Body` a Struct in bidopen.wire.answers, "
        '(or `@answers(media_type="…")` for a file or text), then run '
        "`python -m bidopen.describe docs`"
    )
