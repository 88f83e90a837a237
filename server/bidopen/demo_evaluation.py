"""The demo's evaluation after the published record: stages, the test-pattern video, a result.

Everything is derived from the session's host snapshot, so a round found half evaluated after a
restart goes on from where its log stands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from bidopen.client import HostClient
from bidopen.session.values import MAX_CANDIDATES

log = logging.getLogger("bidopen.demo")

STAGES = ("qualification", "technical", "commercial", "scoring", "report")
PUBLICITY_DAYS = 3  # what the result states; a demo tender's publicity is shortened (DemoPace)
SHOW_RESULT_STEPS = 11.0
# Reasons the demo gives (text in the page's default language only: tender data carries one
# language). The dearest opened bid is rejected under a clause; opened bids beyond the three
# candidates are not ranked; a lot with no opened bid fails (流标).
REJECTED = (
    "第二章 评标办法 3.1.2(4)",
    "投标文件未按招标文件要求提供有效的投标保证金，否决其投标。",
)
NOT_RANKED = "评标价高于前三名，未入围中标候选人。"
FAILED = "无有效投标：投标文件均未解密或均被否决，本标段流标，依法重新招标。"

Pause = Callable[[float], Awaitable[None]]


def _price(items: Mapping[str, str] | None) -> Decimal | None:
    try:
        return Decimal(str((items or {}).get("price")))
    except InvalidOperation:
        return None


def demo_result(lot: str, lines: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The result a demo evaluation publishes for one lot's read-out lines (lowest price wins):
    the dearest opened bid rejected (否决投标) under a clause, the three lowest of the others
    the candidates with their price, any further one not ranked; no opened bid: 流标."""
    priced = sorted(
        (price, line["bidder"])
        for line in lines
        if line.get("status") == "opened" and (price := _price(line.get("items"))) is not None
    )
    reasons: dict[str, dict[str, str]] = {}
    if len(priced) > 1:
        reasons[priced[-1][1]] = {
            "disposition": "rejected",
            "clause": REJECTED[0],
            "text": REJECTED[1],
        }
        priced = priced[:-1]
    candidates = [
        {"bidder": bidder, "price": f"{price:.2f}"} for price, bidder in priced[:MAX_CANDIDATES]
    ]
    for _, bidder in priced[MAX_CANDIDATES:]:
        reasons[bidder] = {"disposition": "not_ranked", "text": NOT_RANKED}
    body: dict[str, Any] = {"lot": lot, "reasons": reasons, "publicity_days": PUBLICITY_DAYS}
    if candidates:
        return {**body, "outcome": "candidates", "candidates": candidates}
    return {**body, "outcome": "failed", "failure": FAILED}


def stages_to_go(current: str | None) -> tuple[str, ...]:
    """The stages after `current` (all of them before the first)."""
    return STAGES if current is None else STAGES[STAGES.index(current) + 1 :]


@contextlib.asynccontextmanager
async def test_pattern(base_url: str, session_id: str, token: str) -> Any:
    """The test pattern published as the evaluation room's camera while the block runs."""
    # Imported here: aiortc is heavy and only the evaluation needs it.
    from bidopen.video.stream import stream

    stop = asyncio.Event()
    # Small and slow: the demo runs beside real traffic on the same hub process.
    task = asyncio.create_task(
        stream(base_url, session_id, token, width=320, height=240, fps=10.0, stop=stop),
        name="demo-video",
    )
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, 5.0)
        except Exception as error:  # a video failure must not end the round
            log.warning("demo video for %s ended: %s", session_id, error)
            task.cancel()


async def evaluate(host: HostClient, base_url: str, session_id: str, pause: Pause) -> None:
    """Take a session whose record is published through the stages to its published results."""
    token = host.http.token
    assert token is not None, "the demo host is signed in before it evaluates"
    async with test_pattern(base_url, session_id, token):
        view = (await host.snapshot(session_id)).view
        for stage in stages_to_go(view.get("evaluation_stage")):
            await pause(3.0)
            await host.command(session_id, "set_evaluation_stage", {"stage": stage})
        done = {result["lot"] for result in view.get("results") or ()}
        stopped = {
            lot["lot"]
            for lot in view.get("lot_progress") or ()
            if (lot.get("quorum") or {}).get("choice") == "stop"
        }
        for readout in view.get("readout") or ():
            if readout["lot"] in done or readout["lot"] in stopped:
                continue
            body = demo_result(readout["lot"], readout["lines"])
            await pause(1.0)
            await host.command(session_id, "publish_result", body)
        log.info("demo opening %s: result published", session_id)
        # The result and its shortened publicity stay on the big screen beside the picture,
        # until the publicity has ended (公示结束).
        await pause(SHOW_RESULT_STEPS)
