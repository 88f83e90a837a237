"""The demo `bidopen serve --demo` runs: one simulated opening after another, to watch live.

Each round creates a tender whose deadline is about two minutes away; five demo bidders
seal and upload during the countdown, sign in, and decrypt once the host opens the window
(one of them hands over a wrong key, so its bid is revoked when the window ends); after
the read-out one bidder objects, the demo host answers, everyone confirms, and the signed
record is published; then the evaluation goes through its stages with the test pattern as
the evaluation room's picture, and the result is published with its candidates and reasons
(one bid rejected under a clause), public for a shortened publicity stated on the front page.
A newcomer watching the big screen sees a whole opening.

A restart finds the rounds it left: one whose record is out goes on with its evaluation, one
still in its opening is aborted with the reason on the big screen (the demo bidders' keys
lived in the stopped process), and the numbering goes on from the highest round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp

from bidopen.client import ClientError, HostClient, LotSpec, SessionFeed, TenderDraft
from bidopen.demo_evaluation import PUBLICITY_DAYS, SHOW_RESULT_STEPS, evaluate
from bidopen.serve import DEMO_HOST
from bidopen.session.commands import MIN_DURATION_SECONDS
from bidopen.simulate.bidders import BidderRole, SimulatedBidder

log = logging.getLogger("bidopen.demo")

LOT = "1"
TITLE = "演示项目第{number}期：市政道路改造工程"
# Titles of earlier releases carried an English tail; the number is read from both.
NUMBERED = re.compile(r"^演示项目第(\d+)期")
# Phases in which a found round goes on with its record and evaluation.
RESUMABLE = frozenset({"record_due", "closed", "evaluation"})
FINISHED = frozenset({"result_published", "stopped", "aborted"})
RESTART_REASON = "演示服务已重启：模拟投标人的密钥随旧进程丢失，本轮演示中止，下一轮随即开始。"
ANSWER = "主持人答复：经核对开标一览表，唱标内容无误。"


@dataclass(frozen=True)
class DemoPace:
    """How long each part of a round takes: at speed 1 a person at the big screen follows each
    step; at speed n everything takes an n-th of that (tests), windows no less than the minimum."""

    speed: int = 1

    def seconds(self, at_speed_one: float) -> float:
        return at_speed_one / self.speed

    @property
    def countdown(self) -> timedelta:
        return timedelta(seconds=self.seconds(120))

    @property
    def window_seconds(self) -> int:
        return max(MIN_DURATION_SECONDS, 60 // self.speed)

    @property
    def publicity_seconds(self) -> int:
        """The demo's shortened publicity of a result (a real tender's is at least three days):
        it ends while the result is still on the big screen, before the next round."""
        return max(MIN_DURATION_SECONDS, round(self.step_s * SHOW_RESULT_STEPS * 0.8))

    @property
    def step_s(self) -> float:
        return self.seconds(4.0)

    @property
    def retry_s(self) -> float:
        return self.seconds(15.0)

    @property
    def round_seconds(self) -> float:
        """About how long one round takes: the countdown, its two windows, and the steps
        between them and through the evaluation (about thirty at any speed)."""
        return self.countdown.total_seconds() + 2 * self.window_seconds + 30 * self.step_s

    def public(self) -> dict[str, float | int]:
        """The pace as the front page states it (`GET /api/demo`)."""
        return {
            "speed": self.speed,
            "countdown_seconds": round(self.countdown.total_seconds()),
            "window_seconds": self.window_seconds,
            "round_seconds": round(self.round_seconds),
            "publicity_days": PUBLICITY_DAYS,
            "publicity_seconds": self.publicity_seconds,
        }


DEMO_BIDDERS = (
    ("华夏建设集团有限公司", BidderRole(fails_to_decrypt=False, objects=False)),
    ("江南路桥工程有限公司", BidderRole(fails_to_decrypt=False, objects=True)),
    ("北方市政工程有限公司", BidderRole(fails_to_decrypt=True, objects=False)),
    ("东方交通建设有限公司", BidderRole(fails_to_decrypt=False, objects=False)),
    ("西部城建股份有限公司", BidderRole(fails_to_decrypt=False, objects=False)),
)


def demo_account() -> tuple[str, str]:
    """The account `bidopen serve --demo` creates: BIDOPEN_BOOTSTRAP_HOST, else its default."""
    user, _, password = os.environ.get("BIDOPEN_BOOTSTRAP_HOST", DEMO_HOST).partition(":")
    return user, password


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but end the round at once when the hub shuts down."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    if stop.is_set():
        raise asyncio.CancelledError


async def _one_by_one(
    stop: asyncio.Event,
    bidders: list[SimulatedBidder],
    step: Callable[[SimulatedBidder], Awaitable[object]],
    spread_s: float,
) -> None:
    # Staggered, so the big screen shows progress rather than one jump.
    for bidder in random.sample(bidders, len(bidders)):
        await _pause(stop, random.uniform(0.3, 1.0) * spread_s / len(bidders))
        await step(bidder)


class DemoRound:
    """One opening, from creating the tender to the published record."""

    def __init__(
        self,
        host: HostClient,
        bidders: list[SimulatedBidder],
        stop: asyncio.Event,
        number: int,
        pace: DemoPace,
        base_url: str,
    ) -> None:
        self.base_url = base_url
        self.host = host
        self.bidders = bidders
        self.stop = stop
        self.number = number
        self.pace = pace

    async def run(self) -> None:
        pace = self.pace
        tender = await self.host.create_tender(
            TenderDraft(
                title=TITLE.format(number=self.number),
                lots=(LotSpec(LOT, "标段一"),),
                deadline=datetime.now(UTC) + pace.countdown,
                decryption_seconds=pace.window_seconds,
                confirmation_seconds=pace.window_seconds,
                demo_publicity_seconds=pace.publicity_seconds,
            )
        )
        log.info("demo opening %s: deadline %s", tender.id, tender.deadline.isoformat())
        live = await self.host.follow(tender.id)
        feed = live.feed
        await _one_by_one(
            self.stop,
            self.bidders,
            lambda b: b.bid(tender.id, LOT),
            pace.countdown.total_seconds() * 0.6,
        )
        await feed.wait_for("deadline_passed")
        await _pause(self.stop, pace.step_s)
        await self.host.start_decryption(tender.id)
        spread = pace.seconds(20.0)
        await _one_by_one(self.stop, self.bidders, lambda b: b.decrypt(tender.id, LOT), spread)
        # The wrong key keeps one bid sealed: the window runs its course, then reads out.
        await feed.wait_for("read_out")
        await _pause(self.stop, pace.step_s * 2)
        await self._confirm(tender.id, feed)
        await self.host.publish_record(tender.id)
        log.info("demo opening %s: record published", tender.id)
        await live.close()
        await evaluate(self.host, self.base_url, tender.id, _stepper(self.stop, self.pace))

    async def _confirm(self, tender_id: str, feed: SessionFeed) -> None:
        step = self.pace.step_s
        await _one_by_one(
            self.stop, self.bidders, lambda b: b.respond_to_readout(tender_id), step * 2
        )
        for bidder in self.bidders:
            if bidder.objection_id is None:
                continue
            await _pause(self.stop, step * 2)
            await self.host.answer_objection(
                tender_id,
                bidder.objection_id,
                ANSWER,
            )
            await _pause(self.stop, step)
            await bidder.client.confirm(tender_id)
        while len(feed.seen("bidder_confirmed")) < len(self.bidders):
            await feed.wait_for("bidder_confirmed")
        await _pause(self.stop, step)
        await self.host.close_confirmation(tender_id)


def _stepper(stop: asyncio.Event, pace: DemoPace) -> Callable[[float], Awaitable[None]]:
    """Pauses counted in the pace's steps, ended at once when the hub shuts down."""
    return lambda count: _pause(stop, pace.step_s * count)


async def recover_rounds(
    host: HostClient, base_url: str, stop: asyncio.Event, pace: DemoPace
) -> int:
    """Finish or end the rounds an earlier run of the demo left; the highest round number."""
    number = 0
    # Newest first; a demo that ran for days has more rounds, but not more unfinished ones.
    for tender in await host.tenders(limit=200):
        found = NUMBERED.match(tender.title)
        if found is None:
            continue
        number = max(number, int(found[1]))
        if tender.phase in FINISHED:
            continue
        try:
            if tender.phase not in RESUMABLE:
                await host.abort(tender.id, RESTART_REASON)
                log.info("demo opening %s ended after a restart (%s)", tender.id, tender.phase)
                continue
            if tender.phase == "record_due":
                await host.publish_record(tender.id)
            log.info("demo opening %s: evaluation resumed after a restart", tender.id)
            await evaluate(host, base_url, tender.id, _stepper(stop, pace))
        except ClientError as error:
            # Another host's tender of the same name, or a state the demo did not foresee.
            log.warning("demo opening %s left as it is: %s", tender.id, error)
    return number


async def run_demo(base_url: str, stop: asyncio.Event, pace: DemoPace) -> None:
    """Run demo openings until `stop` is set; a failed round is logged and the next begins."""
    user, password = demo_account()
    number: int | None = None
    async with aiohttp.ClientSession() as http:
        host = HostClient(base_url, session=http)
        bidders: list[SimulatedBidder] = []
        try:
            while not stop.is_set():
                try:
                    if host.token is None:
                        await host.login(user, password)
                    if number is None:
                        number = await recover_rounds(host, base_url, stop, pace)
                    number += 1
                    if not bidders:
                        bidders = [
                            SimulatedBidder(i, role, base_url, http, org_name=name)
                            for i, (name, role) in enumerate(DEMO_BIDDERS)
                        ]
                        for bidder in bidders:
                            await bidder.register()
                    else:
                        # Tokens last hours; a demo runs for days.
                        for bidder in bidders:
                            await bidder.client.login()
                    await DemoRound(host, bidders, stop, number, pace, base_url).run()
                except ClientError as error:
                    # The demo must never take the hub down: log, wait, begin a new round.
                    log.warning("demo opening %s stopped: %s", number, error)
                    host.http.token = None
                    await _pause(stop, pace.retry_s)
        except asyncio.CancelledError:
            if not stop.is_set():
                raise
        finally:
            await host.close()
            for bidder in bidders:
                await bidder.client.close()
