"""Helpers of the deadline and availability tests: hubs with real faults, many client addresses.

Every address in 127.0.0.0/8 reaches the hub on 127.0.0.1, so a client that binds its
socket to 127.0.0.2 is, to the hub, another machine. Behind a trusted proxy (the hub told
to trust 127.0.0.1), `X-Forwarded-For` names as many clients as a test needs.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

_HUB_TESTS = str(Path(__file__).resolve().parents[1] / "hub")
if _HUB_TESTS not in sys.path:
    sys.path.insert(0, _HUB_TESTS)

from hubtesting import HubApi, parse_iso  # noqa: E402

from bidseal import verify_document  # noqa: E402
from bidseal.codec import b64u_decode  # noqa: E402
from hubprocess import HubProcess  # noqa: E402

# The limits the hub ships with; the shared fixture lifts the anonymous one for speed.
DEFAULT_LIMITS = {"BIDOPEN_PUBLIC_REQUESTS_PER_MINUTE": "600"}


@dataclass
class HostileHub(HubProcess):
    """A hub process with an open-file limit of its own."""

    nofile: tuple[int, int] | None = None

    def preexec(self) -> Callable[[], None] | None:
        nofile = self.nofile
        if nofile is None:
            return None

        def apply() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

        return apply


def hostile_hub(
    tmp_path: Path, database_url: str, env: dict[str, str] | None = None, **kwargs: object
) -> HostileHub:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    hub = HostileHub(
        data_dir, database_url, tmp_path / "hub.log", extra_env=dict(env or {}), **kwargs
    )  # type: ignore[arg-type]
    return hub


@asynccontextmanager
async def client_from(base_url: str, address: str = "127.0.0.1") -> AsyncIterator[HubApi]:
    """A client whose connections leave from `address` (any of 127.0.0.0/8)."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=0)
    async with aiohttp.ClientSession(base_url=base_url, connector=connector) as http:
        yield HubApi(http)


def via_proxy(address: str) -> dict[str, str]:
    """Headers of a request relayed by a trusted proxy for the client `address`."""
    return {"X-Forwarded-For": address}


async def received_at(api: HubApi, answer: dict[str, Any]) -> datetime:
    """The arrival time a signed receipt states, checked against the hub's key."""
    _, key = await api.call("GET", "/api/server-key", expect=200)
    receipt = verify_document(answer["receipt"], "receipt", b64u_decode(key["key"]))
    return parse_iso(str(receipt["received_at"]))


def error_code(body: object) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        return str(code) if code is not None else None
    return None
