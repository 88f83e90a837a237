"""An opening run to its published record over REST, then moved into the evaluation."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bidseal.codec import b64u_decode

# The REST helpers of tests/hub; that folder is no package, so it goes on the path.
_HUB_TESTS = str(Path(__file__).resolve().parents[1] / "hub")
if _HUB_TESTS not in sys.path:
    sys.path.insert(0, _HUB_TESTS)

from hubtesting import Bidder, HubApi, data_key_of, seal_bid  # noqa: E402

LOT = "1"
PRICES = {"甲建设集团": "1000000.00", "乙路桥公司": "990000.50", "丙工程有限公司": "1010000.00"}
STAGES = ("qualification", "technical", "commercial", "scoring", "report")


@dataclass(frozen=True)
class OpenedSession:
    """A session whose record is published: every bid of `LOT` was opened."""

    tender_id: str
    bidders: tuple[Bidder, ...]

    def named(self, name: str) -> Bidder:
        return next(bidder for bidder in self.bidders if bidder.name == name)


async def wait_for_phase(
    api: HubApi, session: str, phase: str, within: float = 30.0
) -> dict[str, Any]:
    """Polls the host's snapshot until the session is in `phase`; the scheduler moves it."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while True:
        snap = await api.snapshot(session, api.host_auth)
        if snap["view"]["phase"] == phase:
            return snap
        assert loop.time() < end, f"phase stayed {snap['view']['phase']}, wanted {phase}"
        await asyncio.sleep(0.2)


async def run_opening(api: HubApi, host_user: str, host_password: str) -> OpenedSession:
    """Bids from three bidders, deadline, decryption, read-out, confirmation, signed record."""
    await api.login_host(host_user, host_password)
    # Keys and accounts first: the short deadline then only has to cover three uploads.
    bidders = tuple([await api.register(name) for name in PRICES])
    tender = await api.create_tender(deadline_in=2.5, lots=(LOT,))
    tid = tender["id"]
    sealed: dict[str, bytes] = {}
    for bidder in bidders:
        items = {"price": PRICES[bidder.name], "duration_days": "180"}
        sealed[bidder.id] = seal_bid(bidder, tid, LOT, items)
        status, body = await api.upload(bidder, tid, LOT, sealed[bidder.id])
        assert status == 201, body
    await wait_for_phase(api, tid, "opening")
    await api.host(tid, "start_decryption")
    for bidder in bidders:
        await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
        key = data_key_of(bidder, sealed[bidder.id], tid, LOT)
        await api.call(
            "POST",
            f"/api/tenders/{tid}/lots/{LOT}/data-key",
            headers=bidder.auth,
            json={"data_key": key},
            expect=200,
        )
    await api.host(tid, "close_decryption")
    await wait_for_phase(api, tid, "confirmation")
    for bidder in bidders:
        await api.confirm(tid, bidder)
    await api.host(tid, "close_confirmation")
    await api.host(tid, "publish_record")
    await wait_for_phase(api, tid, "closed")
    return OpenedSession(tid, bidders)


async def reach_report_stage(api: HubApi, session: OpenedSession) -> None:
    """Moves the evaluation through every stage, as the host console does, up to the report."""
    for stage in STAGES:
        await api.host(session.tender_id, "set_evaluation_stage", {"stage": stage})


def result_body(session: OpenedSession, publicity_days: int = 3) -> dict[str, Any]:
    """乙 and 甲 are the candidates, on price; 丙's bid is rejected under a clause."""
    names = ("乙路桥公司", "甲建设集团", "丙工程有限公司")
    first, second, third = (session.named(name) for name in names)
    return {
        "lot": LOT,
        "outcome": "candidates",
        "candidates": [
            {"bidder": first.id, "price": PRICES[first.name], "score": "95.20"},
            {"bidder": second.id, "price": PRICES[second.name], "score": "93.10"},
        ],
        "reasons": {
            third.id: {
                "disposition": "rejected",
                "clause": "第三章 2.2.4(1)",
                "text": "未按招标文件要求提供投标保证金，否决其投标。",
            },
        },
        "publicity_days": publicity_days,
    }


async def server_key(api: HubApi) -> bytes:
    _, body = await api.call("GET", "/api/server-key", expect=200)
    return b64u_decode(body["key"])
