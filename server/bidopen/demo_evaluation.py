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

log = logging.getLogger("bidopen.demo")

STAGES = ("qualification", "technical", "commercial", "scoring", "report")
PUBLICITY_DAYS = 3  # the law's minimum; the demo shows it counting, then begins the next round
CANDIDATES = 3
SHOW_RESULT_STEPS = 11.0
# Reasons the demo gives to the bids that are not the first candidate (text in the page's
# default language only: tender data carries one language).
REASON_RANKED = ("评标办法第3.2条", "综合得分低于第一中标候选人。")
REASON_FAILED = ("评标办法第2.1条", "投标文件未按时解密，视为撤销投标，不参与评审。")

Pause = Callable[[float], Awaitable[None]]


def _price(items: Mapping[str, str] | None) -> Decimal | None:
    try:
        return Decimal(str((items or {}).get("price")))
    except InvalidOperation:
        return None


def demo_result(lot: str, lines: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The result a demo evaluation publishes for one lot's read-out lines: the lowest prices
    ranked first to third, every other bid (opened or not) with its reason."""
    priced = sorted(
        (price, line["bidder"])
        for line in lines
        if (price := _price(line.get("items"))) is not None
    )
    ranked = [bidder for _, bidder in priced[:CANDIDATES]]
    reasons = {
        bidder: {"clause": REASON_RANKED[0], "text": REASON_RANKED[1]} for _, bidder in priced[1:]
    }
    for line in lines:
        if line["bidder"] not in ranked and line["bidder"] not in reasons:
            reasons[line["bidder"]] = {"clause": REASON_FAILED[0], "text": REASON_FAILED[1]}
    return {
        "lot": lot,
        "ranked": ranked,
        "winner": ranked[0] if ranked else None,
        "reasons": reasons,
        "publicity_days": PUBLICITY_DAYS,
    }


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
        for readout in view.get("readout") or ():
            body = demo_result(readout["lot"], readout["lines"])
            if readout["lot"] in done or body["winner"] is None:
                continue
            await pause(1.0)
            await host.command(session_id, "publish_result", body)
        log.info("demo opening %s: result published", session_id)
        # The result and the publicity countdown stay on the big screen beside the picture.
        await pause(SHOW_RESULT_STEPS)
