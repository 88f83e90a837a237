"""The opening summary that travels sealed with a bid: read-out items and document metadata."""

from __future__ import annotations

from collections.abc import Mapping

from bidseal.codec import canonical_json, has_lone_surrogate
from bidseal.format import SUMMARY_PLAINTEXT_MAX
from bidseal.strictjson import read_json

__all__ = ["SUMMARY_PAD_TO", "decode_summary", "encode_summary"]

# The summary's length is visible in every sealed file before the opening; unpadded it
# would tell how many digits a price has. Trailing spaces are plain JSON whitespace.
SUMMARY_PAD_TO = 1024


def _check_strings(value: object) -> None:
    # A lone surrogate cannot be written back as UTF-8, so a record that quotes it would fail later.
    if isinstance(value, str):
        if has_lone_surrogate(value):
            raise ValueError("summary text is not valid Unicode")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def _check_summary(summary: Mapping[str, object]) -> None:
    items = summary.get("items")
    if not isinstance(items, Mapping):
        raise ValueError('summary must have an "items" object')
    for key, value in items.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError("summary items map text to text (write numbers as decimal strings)")
    _check_strings(summary)


def encode_summary(summary: Mapping[str, object]) -> bytes:
    """The summary plaintext, padded with spaces to a multiple of 1024 bytes.

    ValueError with a reason if it is not a valid summary.
    """
    if not isinstance(summary, Mapping):
        raise ValueError("the summary must be a JSON object")
    _check_summary(summary)
    try:
        data = canonical_json(summary).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the summary is not JSON data: {exc}") from exc
    if len(data) > SUMMARY_PLAINTEXT_MAX:
        raise ValueError(f"the summary is larger than {SUMMARY_PLAINTEXT_MAX} bytes")
    padded = min(SUMMARY_PLAINTEXT_MAX, -(-len(data) // SUMMARY_PAD_TO) * SUMMARY_PAD_TO)
    return data + b" " * (padded - len(data))


def decode_summary(plaintext: bytes) -> dict[str, object]:
    """Parse a summary plaintext; ValueError if it breaks section 2.4 of the format."""
    summary = read_json(plaintext)
    if not isinstance(summary, dict):
        raise ValueError("summary is not an object")
    _check_summary(summary)
    return summary
