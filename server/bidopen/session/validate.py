"""Field checks shared by commands and values; each failure is an InvalidArgument."""

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from .errors import InvalidArgument

MAX_ID_LENGTH = 128  # the sealed-bid format allows ids of 1..128 code points
MAX_TEXT_LENGTH = 2000  # reasons, objections, answers: a paragraph, not a document
MAX_LABEL_LENGTH = 200

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def check_id(name: str, value: object) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_LENGTH:
        raise InvalidArgument(
            f"{name} must be a string of 1..{MAX_ID_LENGTH} characters", field=name
        )
    if value != value.strip() or any(ord(ch) < 0x20 for ch in value):
        raise InvalidArgument(
            f"{name} must not have surrounding spaces or control characters", field=name
        )


def check_text(name: str, value: object, limit: int = MAX_TEXT_LENGTH) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidArgument(
            f"{name} must be non-blank text of at most {limit} characters", field=name
        )


def check_name(name: str, value: object) -> None:
    """An organisation's name as registered; empty only in logs written before names were kept."""
    if not isinstance(value, str) or len(value) > MAX_LABEL_LENGTH:
        raise InvalidArgument(
            f"{name} must be text of at most {MAX_LABEL_LENGTH} characters", field=name
        )
    if any(ord(ch) < 0x20 for ch in value):
        raise InvalidArgument(f"{name} must not contain control characters", field=name)


def check_code(name: str, value: object) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise InvalidArgument(
            f"{name} must be a code like wrong_key ([a-z][a-z0-9_]{{0,39}})", field=name
        )


def check_sha256(name: str, value: object) -> None:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise InvalidArgument(f"{name} must be 64 lowercase hexadecimal digits", field=name)


def check_signature(name: str, value: object) -> None:
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value) or len(value) > 1024:
        raise InvalidArgument(f"{name} must be base64url text without padding", field=name)


def check_int(name: str, value: object, low: int, high: int) -> None:
    # bool is an int in Python; True minutes is a bug, not a duration.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(f"{name} must be an integer from {low} to {high}", field=name)


def check_instant(name: str, value: object) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidArgument(f"{name} must be a timezone-aware datetime", field=name)


def check_unique(name: str, values: Iterable[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise InvalidArgument(f"{name} contains {value!r} twice", field=name)
        seen.add(value)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC, so events and their payloads compare exactly."""
    check_instant("time", value)
    return value.astimezone(UTC)
