"""Reading request bodies and parameters, with one clear error for anything malformed."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bidopen.errors import HubError

MAX_JSON_BYTES = 256 * 1024


async def json_body(request: web.Request) -> dict[str, Any]:
    """A JSON object body of at most 256 KiB."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise HubError("message_too_large", f"JSON bodies are limited to {MAX_JSON_BYTES} bytes.")
    raw = await request.content.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise HubError("message_too_large", f"JSON bodies are limited to {MAX_JSON_BYTES} bytes.")
    try:
        value = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HubError("bad_request", "The body is not valid JSON.") from exc
    if not isinstance(value, dict):
        raise HubError("bad_request", "The body must be a JSON object.")
    return value


def int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise HubError("validation_failed", f"{name} must be an integer.") from exc
    if not low <= value <= high:
        raise HubError("validation_failed", f"{name} must be from {low} to {high}.")
    return value


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
