"""A bidder's part in a live opening: sign in, decrypt in the window, confirm or object."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bidopen.client.bidder import BidderClient
from bidopen.client.documents import SignedDocument
from bidopen.client.errors import ClientError
from bidopen.client.feed import SessionFeed
from bidopen.client.models import EventMessage
from bidopen.client.release import KeyRelease
from bidopen.clock import iso

BEFORE_DECRYPTION = ("scheduled", "quorum_decision", "opening")
AFTER_READ_OUT = ("confirmation", "record_due", "closed", "evaluation", "result_published")
ENDED = ("stopped", "aborted")


class OpeningEnded(ClientError):
    """The session was stopped or aborted before the bidder's part was done."""


@dataclass(frozen=True)
class AttendancePlan:
    """How the bidder takes part: hand over keys or not, object or confirm, or stay silent."""

    decrypt: bool = True
    objection: str | None = None
    confirm: bool = True


@dataclass(frozen=True)
class Attendance:
    """What the bidder saw: the read-out, its objection and answer, the published record."""

    read_out: Any
    objection_id: str | None
    answer: str | None
    record: SignedDocument
    events: tuple[EventMessage, ...]

    @property
    def record_matches_read_out(self) -> bool:
        return bool(self.record.payload.get("readout") == self.read_out)


def _check_not_ended(message: EventMessage, lots: Collection[str]) -> None:
    if message.kind == "session_aborted":
        raise OpeningEnded("session_aborted", f"the host aborted the opening: {message.data}")
    stopped = message.kind == "quorum_decided" and message.data.get("choice") == "stop"
    if stopped and message.data.get("lot") in lots:
        raise OpeningEnded("lot_stopped", f"lot {message.data.get('lot')} was stopped")


async def _until(
    feed: SessionFeed,
    lots: Collection[str],
    kind: str,
    where: Callable[[EventMessage], bool] | None = None,
) -> EventMessage:
    """The next event of `kind`; OpeningEnded if the session ends for these lots first."""
    while True:
        message = await feed.next()
        _check_not_ended(message, lots)
        if message.kind == kind and (where is None or where(message)):
            return message


def _answer_in_view(view: Mapping[str, Any], objection_id: str) -> str | None:
    you = view.get("you")
    objections = you.get("objections", []) if isinstance(you, dict) else []
    for objection in objections:
        if isinstance(objection, dict) and objection.get("id") == objection_id:
            answer = objection.get("answer")
            if isinstance(answer, dict):
                return str(answer.get("text"))
            return None if answer is None else str(answer)
    return None


async def wait_for_deadline(
    client: BidderClient,
    tender_id: str,
    sealed: Mapping[str, bytes | Path],
    say: Callable[[str], None],
) -> dict[str, KeyRelease]:
    """Wait until this computer's clock is past every chosen bid's deadline; the releases.

    The deadline comes from the kept receipt and signed notices, or a later one the hub states;
    whatever the hub says of phases and clocks, no key leaves before it. Notices are asked for
    again after each wait, since the deadline may have moved later meanwhile.
    """
    releases = {lot: await client.release(tender_id, lot, path) for lot, path in sealed.items()}
    for release in releases.values():
        say(f"将解密 about to open: {release.describe_zh()} / {release.describe()}")
    while True:
        opens_at = max(release.opens_at for release in releases.values())
        now = client.clock()
        if now >= opens_at:
            return releases
        deadline = max(release.deadline for release in releases.values())
        say(
            f"等待截止时间 waiting for the deadline {iso(deadline)} "
            f"(this computer's clock: {iso(now)}; the hub's clock, for information only: "
            f"{await _hub_clock(client)}; keys are handed over from {iso(opens_at)})"
        )
        await asyncio.sleep((opens_at - now).total_seconds())
        releases = {lot: await client.release(tender_id, lot, path) for lot, path in sealed.items()}


async def _hub_clock(client: BidderClient) -> str:
    """The hub's clock as it says (shown beside ours; it decides nothing)."""
    try:
        answer = await client.http.get("/api/time")
    except ClientError:
        return "unknown"
    return str(answer.get("now", "unknown")) if isinstance(answer, dict) else "unknown"


async def attend(
    client: BidderClient,
    tender_id: str,
    sealed: Mapping[str, bytes | Path],
    plan: AttendancePlan,
    say: Callable[[str], None] = lambda text: None,
) -> Attendance:
    """Take part from sign-in to the published record; `sealed` maps lot -> own sealed file.

    Bound it with `asyncio.timeout`: an opening lasts as long as its host and windows say.
    """
    logged = await client.sign_in(tender_id)
    say("已签到 signed in" + (" (logged)" if logged else " (kept private until the deadline)"))
    live = await client.follow(tender_id)
    feed = live.feed
    # Events arriving meanwhile wait in the feed; the phase is read afresh after the wait.
    releases = await wait_for_deadline(client, tender_id, sealed, say) if plan.decrypt else {}
    phase = (await client.snapshot(tender_id)).phase
    if phase in ENDED:
        raise OpeningEnded("session_ended", f"the opening is {phase}")
    if phase in BEFORE_DECRYPTION:
        say("等待解密开始 waiting for the decryption window")
        await _until(feed, sealed, "decryption_started")
        phase = "decryption"
    if phase == "decryption" and plan.decrypt:
        for lot, path in sealed.items():
            try:
                answer = await client.decrypt(tender_id, lot, path, releases[lot])
                say(f"标段 {lot} 已解密 lot {lot} decrypted (bid {answer.get('bid_sha256')})")
            except ClientError as error:
                if error.code != "already_decrypted":
                    raise
    if phase in AFTER_READ_OUT:
        read_out = (await client.snapshot(tender_id)).view.get("readout")
    else:
        read_out = (await _until(feed, sealed, "read_out")).data.get("lots")
    say("唱标 read-out received")
    objection_id = answer_text = None
    if plan.objection is not None:
        objection_id = await client.object(tender_id, plan.objection)
        say(f"已提出异议 objection {objection_id} raised; waiting for the host's answer")
        await _until(
            feed, sealed, "objection_answered", lambda m: m.data.get("objection_id") == objection_id
        )
        # Others see only that it was answered; the objector reads the text in its own view.
        answer_text = _answer_in_view((await client.snapshot(tender_id)).view, objection_id)
        say(f"主持人答复 answer: {answer_text}")
    if plan.confirm:
        try:
            await client.confirm(tender_id, read_out)
            say("已确认开标记录 confirmed")
        except ClientError as error:
            if error.code != "already_confirmed":
                raise
    await _until(feed, sealed, "record_published")
    record = await client.record(tender_id)
    say(f"开标记录已发布 record published, sha256 {record.sha256}")
    return Attendance(read_out, objection_id, answer_text, record, tuple(feed.history))
