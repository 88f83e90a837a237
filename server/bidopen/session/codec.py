"""JSON encoding of the core's frozen dataclasses, driven by their type hints."""

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import TypeAlias, TypeVar

from .errors import MalformedEvent, SessionError

T = TypeVar("T")

JSON: TypeAlias = str | int | float | bool | list["JSON"] | dict[str, "JSON"] | None

_INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_instant(value: datetime) -> str:
    """ISO-8601 in UTC with microseconds and 'Z': one spelling per instant, so hashes agree."""
    if value.utcoffset() is None:
        raise ValueError("naive datetime cannot be encoded")
    return value.astimezone(UTC).strftime(_INSTANT_FORMAT)


def parse_instant(text: str) -> datetime:
    return datetime.strptime(text, _INSTANT_FORMAT).replace(tzinfo=UTC)


def encode(value: object) -> JSON:
    """A JSON-safe copy of a value made of dataclasses, tuples, mappings, enums and scalars."""
    if isinstance(value, datetime):
        return format_instant(value)
    # Checked before str: our enums are StrEnums, and their value is the wire form.
    if isinstance(value, Enum):
        return encode(value.value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    if isinstance(value, Mapping):
        out: dict[str, JSON] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"mapping key {key!r} is not a string")
            out[key] = encode(item)
        return out
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(hint: object, raw: JSON, where: str) -> object:
    """The value of type `hint` that `encode` turned into `raw`; MalformedEvent otherwise."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if raw is None and type(None) in options:
            return None
        concrete = [option for option in options if option is not type(None)]
        if len(concrete) != 1:
            raise TypeError(f"unsupported union {hint!r}")
        return decode(concrete[0], raw, where)
    if origin is tuple:
        item_hint, ellipsis = typing.get_args(hint)
        if ellipsis is not Ellipsis or not isinstance(raw, list):
            raise MalformedEvent(f"{where} must be a list")
        return tuple(decode(item_hint, item, f"{where}[{i}]") for i, item in enumerate(raw))
    if origin in (Mapping, dict):
        _, value_hint = typing.get_args(hint)
        if not isinstance(raw, dict):
            raise MalformedEvent(f"{where} must be an object")
        return {key: decode(value_hint, item, f"{where}.{key}") for key, item in raw.items()}
    if hint is datetime:
        if not isinstance(raw, str):
            raise MalformedEvent(f"{where} must be an instant")
        try:
            return parse_instant(raw)
        except ValueError:
            raise MalformedEvent(
                f"{where} is not an instant like 2026-01-02T03:04:05.000000Z"
            ) from None
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(raw)
        except ValueError:
            raise MalformedEvent(f"{where} is not a valid {hint.__name__}") from None
    if hint in (str, int, bool):
        assert isinstance(hint, type)
        # bool is a subclass of int: reject True where a number is meant.
        if not isinstance(raw, hint) or (hint is int and isinstance(raw, bool)):
            raise MalformedEvent(f"{where} must be of type {hint.__name__}")
        return raw
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return decode_dataclass(hint, raw, where)
    raise TypeError(f"unsupported type {hint!r} at {where}")


def decode_dataclass(cls: type[T], raw: JSON, where: str) -> T:
    if not isinstance(raw, dict):
        raise MalformedEvent(f"{where} must be an object")
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in fields]
    # A field added after logs were first written has a default; older payloads lack it.
    later = [f.name for f in fields if f.default is not dataclasses.MISSING]
    if not set(names) - set(later) <= set(raw) <= set(names):
        raise MalformedEvent(
            f"{where} must have the fields {', '.join(names)} (may lack: {', '.join(later) or '-'})"
        )
    values = {
        name: decode(hints[name], raw[name], f"{where}.{name}") for name in names if name in raw
    }
    try:
        return cls(**values)
    except SessionError as error:  # a value object refused a stored field
        raise MalformedEvent(f"{where}: {error}") from error
