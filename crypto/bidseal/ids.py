"""The one pattern of the ids a hub issues and accepts: tenders, lots, bidders, read-out items."""

from __future__ import annotations

import re

__all__ = ["ID_PATTERN", "is_hub_id"]

# ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64 long. No `/`,
# no `.`, no space: an id can be written as TENDER/LOT/BIDDER on a command line and can never
# name a path, even by accident. The sealed-bid format itself allows more (1..128 code points);
# a hub never issues or accepts an id outside this pattern.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
_ID = re.compile(ID_PATTERN)


def is_hub_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None
