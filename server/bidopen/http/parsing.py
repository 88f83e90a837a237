"""Reading request bodies and parameters, with one documented error for anything malformed."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from bidopen.errors import HubError
from bidopen.http.declared import reads_of
from bidopen.session.text import normalise, refused_character
from bidopen.wire.bodies import NoBody
from bidopen.wire.decoding import MAX_JSON_BYTES, decode_body

BodyT = TypeVar("BodyT", bound=msgspec.Struct)
_INTEGER = re.compile(r"-?[0-9]{1,19}")


async def read_limited(request: web.Request, limit: int, what: str = "JSON bodies") -> bytes:
    """The whole body, refused `message_too_large` as soon as it passes `limit` bytes."""
    too_large = HubError("message_too_large", f"{what} are limited to {limit} bytes.")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    # read(n) returns what has arrived so far, not n bytes: read to the end, counting.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: web.Request, schema: type[BodyT]) -> BodyT:
    """The request's JSON body (at most 256 KiB, 32 levels deep), read into `schema`."""
    check_declared(request, schema)
    body = decode_body(await read_limited(request, MAX_JSON_BYTES), schema)
    cleaned: BodyT = clean_text(body, "")
    return cleaned


def check_declared(request: web.Request, schema: type[msgspec.Struct]) -> None:
    """A view reads only the body its route declares (`@reads`), which the OpenAPI publishes."""
    declared = reads_of(request.match_info.handler)
    if declared is None or schema not in declared.bodies(request.match_info):
        raise HubError("internal_error", f"{schema.__name__} is not this route's declared body.")


async def no_body(request: web.Request) -> None:
    """Endpoints without fields still read what was sent: only nothing or `{}` passes."""
    await json_body(request, NoBody)


# Every string of every body passes here, so no endpoint can store text that draws other
# than it reads (docs/security.md, "Names and text"). Ids, keys and signatures are ASCII,
# which NFC leaves as it is.
def clean_text(value: Any, where: str) -> Any:
    """`value` with every string NFC; text_refused for a hidden or direction character."""
    # Exactly str: an enumeration member (a StrEnum) was matched against its declaration.
    if type(value) is str:
        text = normalise(value)
        bad = refused_character(text, multiline=True)
        if bad is not None:
            raise HubError(
                "text_refused",
                f"{where or 'The body'} holds {bad}, an invisible, control or "
                "direction-changing character.",
                f"{where or '请求体'} 含有不可见字符、控制字符或改变文字方向的字符（{bad}）。",
                field=where or None,
            )
        return text
    if isinstance(value, msgspec.Struct):
        changes = {}
        for name in value.__struct_fields__:
            item = getattr(value, name)
            cleaned = clean_text(item, f"{where}.{name}" if where else name)
            if cleaned is not item:
                changes[name] = cleaned
        return msgspec.structs.replace(value, **changes) if changes else value
    if isinstance(value, dict):
        return {
            clean_text(key, where): clean_text(item, f"{where}.{key}" if where else str(key))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(clean_text(item, f"{where}[{i}]") for i, item in enumerate(value))
    return value


def int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not _INTEGER.fullmatch(text):
        raise HubError("validation_failed", f"{name} must be an integer.", field=name)
    value = int(text)
    if not low <= value <= high:
        raise HubError("validation_failed", f"{name} must be from {low} to {high}.", field=name)
    return value


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
