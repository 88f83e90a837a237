"""The opening as hosts and bidders drive it: commands, the deadline tick, records and views."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.clock import Clock, iso
from bidopen.errors import HubError, from_session_error
from bidopen.service.commands import bidder_command as _bidder_command
from bidopen.service.commands import host_command as _host_command
from bidopen.service.public_snapshots import PublicSnapshots
from bidopen.service.results import parse_result, result_payload
from bidopen.service.sessions import SessionService
from bidopen.service.signing import ServerSigner, document_text
from bidopen.service.views import BIDDER, HOST, PUBLIC, event_messages
from bidopen.session import Leaves, bidder_view, build_record, host_view, public_view
from bidopen.session import commands as c
from bidopen.session.errors import SessionError
from bidopen.session.events import Event, SessionRescheduled
from bidopen.session.hall import bid_numbers
from bidopen.session.phases import Phase
from bidopen.session.state import OpeningSession
from bidopen.session.values import Actor, BidEntry, Role
from bidopen.store import bidders as bidder_store
from bidopen.store import bids as bid_store
from bidopen.store import event_leaves
from bidopen.store.db import Database
from bidopen.store.documents import add_document, documents_of, latest_document
from bidopen.store.eventlog import StoredEvent
from bidopen.wire.bodies import Body
from bidopen.wire.bodies import PublishResult as PublishResultBody
from bidseal.codec import b64u_decode

SYSTEM = Actor(role=Role.SYSTEM, id="scheduler")


class _AlreadyRecorded(Exception):
    """Another node recorded this outage first; nothing is appended."""


async def _summaries(
    conn: AsyncConnection, tender_id: str
) -> dict[tuple[str, str], dict[str, str]]:
    return {
        (row["lot"], row["bidder"]): {
            str(k): str(v) for k, v in dict(row["summary"].get("items", {})).items()
        }
        for row in await bid_store.summaries_of(conn, tender_id)
    }


async def _leaves(conn: AsyncConnection, session_id: str) -> Leaves:
    """The leaves of everything a document built now follows from (record, result)."""
    events, bids = await event_leaves.document_leaves(conn, session_id)
    return Leaves(tuple(events), tuple(bids))


def _payload_sha256(envelope: dict[str, str]) -> str:
    return hashlib.sha256(envelope["payload"].encode()).hexdigest()


class Opening:
    def __init__(
        self, db: Database, clock: Clock, sessions: SessionService, signer: ServerSigner
    ) -> None:
        self._db = db
        self._clock = clock
        self._sessions = sessions
        self._signer = signer
        self.public_snapshots = PublicSnapshots(sessions)

    # -- the scheduler's side ------------------------------------------------------------

    async def tick(self, session_id: str) -> list[StoredEvent]:
        """Submit a Tick carrying what the private tables hold for the deadline being passed."""

        async def build(conn: AsyncConnection, state: OpeningSession, now: datetime) -> c.Command:
            if state.phase is Phase.SCHEDULED and state.deadline and now >= state.deadline:
                rows = [
                    r
                    for r in await bid_store.current_bids(conn, session_id)
                    if r.received_at < state.deadline
                ]
                signins = await bid_store.signins_of(conn, session_id)
                # Names enter the log here, with the bids, so the record and replays carry them.
                names = await bidder_store.bidder_names(conn, sorted({r.bidder_id for r in rows}))
                entries = tuple(
                    BidEntry(
                        lot=r.lot_id,
                        bidder=r.bidder_id,
                        bidder_name=names.get(r.bidder_id, ""),
                        bid_sha256=r.bid_sha256,
                        received_at=r.received_at,
                    )
                    for r in rows
                )
                # Only sign-ins of bidders who bid are kept; the rest never enter the log.
                bidders = {e.bidder for e in entries}
                return c.Tick(
                    actor=SYSTEM,
                    bids=entries,
                    signed_in=tuple(b for b, _ in signins if b in bidders),
                )
            if state.phase is Phase.DECRYPTION and state.window_elapsed(now):
                return c.Tick(actor=SYSTEM, summaries=await _summaries(conn, session_id))
            return c.Tick(actor=SYSTEM)

        return await self._sessions.execute(session_id, build)

    async def record_outage(self, session_id: str, since: datetime, until: datetime) -> None:
        """Record that the platform could not serve from `since` to `until` (once per outage).

        Every node that sees the outage end calls this; the first one records it and the
        others find the fault in the log (their append races on the seq and decides again).
        """
        reason = (
            f"平台中断：{iso(since)} 至 {iso(until)} 服务不可用（服务器或数据库）。"
            f" Platform outage: the hub could not serve (server or database) from {iso(since)}"
            f" to {iso(until)}."
        )

        async def build(conn: AsyncConnection, state: OpeningSession, now: datetime) -> c.Command:
            if any(f.reported_by is Role.SYSTEM and f.at >= since for f in state.faults):
                raise _AlreadyRecorded
            return c.RecordPlatformFault(actor=SYSTEM, bidder=None, reason=reason)

        with contextlib.suppress(_AlreadyRecorded):
            await self._sessions.execute(session_id, build)

    # -- hosts ---------------------------------------------------------------------------

    async def host_command(
        self, session_id: str, actor: Actor, name: str, body: Body
    ) -> list[StoredEvent]:
        """`actor` is a host of the tender's organisation (bidopen.service.host_scope)."""
        if name == "publish_record":
            return await self._publish_record(session_id, actor)
        if isinstance(body, PublishResultBody):
            return await self._publish_result(session_id, actor, body)
        if name == "close_decryption":

            async def close(conn: AsyncConnection, _s: OpeningSession, _n: datetime) -> c.Command:
                return c.CloseDecryption(actor=actor, summaries=await _summaries(conn, session_id))

            return await self._sessions.execute(session_id, close)
        command = _host_command(actor, name, body)
        if isinstance(command, c.Reschedule):
            return await self._sessions.execute(session_id, command, self._postponement_notice)
        return await self._sessions.execute(session_id, command)

    async def _postponement_notice(
        self, conn: AsyncConnection, state: OpeningSession, events: Sequence[Event]
    ) -> None:
        """Sign the new deadline, in the transaction that moves it (bidders' clients wait for it).

        A bidder's client never hands over a data key before the deadline of its receipt or of
        a later notice it verified; the notices are public at `GET /api/tenders/{id}/postponements`.
        """
        for event in events:
            if isinstance(event, SessionRescheduled):
                notice = self._signer.sign(
                    "postponement",
                    {
                        "version": 1,
                        "tender": state.tender_id,
                        "tender_code": state.code,
                        "tender_title": state.title,
                        "previous_deadline": iso(event.previous_deadline),
                        "deadline": iso(event.deadline),
                        "reason": event.reason,
                        "at": iso(event.at),
                    },
                )
                await add_document(
                    conn,
                    tender_id=state.tender_id,
                    type_="postponement",
                    owner=None,
                    body=document_text(notice),
                    now=event.at,
                    ref=iso(event.deadline),
                )

    async def deadline_statement(self, session_id: str, nonce: str) -> dict[str, str]:
        """The deadline in force now, signed with the caller's nonce and the number of notices."""
        async with self._db.read() as conn:
            state = (await self._sessions.load_in(conn, session_id)).state
            if state.phase is Phase.UNSCHEDULED:
                raise HubError("tender_not_found")
            assert state.deadline is not None
            return self._signer.sign(
                "deadline",
                {
                    "version": 1,
                    "tender": session_id,
                    "tender_code": state.code,
                    "deadline": iso(state.deadline),
                    "postponements": len(state.reschedulings),
                    "nonce": nonce,
                    "at": iso(self._clock.now()),
                },
            )

    async def postponements(self, session_id: str) -> list[dict[str, Any]]:
        """The signed postponement notices of a tender, oldest first (public: deadlines are)."""
        async with self._db.read() as conn:
            if (await self._sessions.load_in(conn, session_id)).state.phase is Phase.UNSCHEDULED:
                raise HubError("tender_not_found")
            texts = await documents_of(conn, session_id, "postponement")
        return [json.loads(text) for text in texts]

    async def _publish_record(self, session_id: str, actor: Actor) -> list[StoredEvent]:
        signed: list[dict[str, str]] = []

        async def build(conn: AsyncConnection, state: OpeningSession, now: datetime) -> c.Command:
            try:
                record = build_record(state, await _leaves(conn, session_id))
            except SessionError as exc:
                raise from_session_error(exc) from exc
            signed.append(self._signer.sign("opening-record", record))
            return c.PublishRecord(
                actor=actor, sha256=_payload_sha256(signed[-1]), signature=signed[-1]["signature"]
            )

        return await self._sessions.execute(
            session_id, build, _keep_document(session_id, "opening-record", None, signed)
        )

    async def _publish_result(
        self, session_id: str, actor: Actor, body: PublishResultBody
    ) -> list[StoredEvent]:
        draft = parse_result(body)
        signed: list[dict[str, str]] = []

        async def build(conn: AsyncConnection, state: OpeningSession, now: datetime) -> c.Command:
            leaves = await _leaves(conn, session_id)
            payload = result_payload(state, draft, now, leaves)
            signed.append(self._signer.sign("evaluation-result", payload))
            return c.PublishResult(
                actor=actor,
                lot=draft.lot,
                outcome=draft.outcome,
                candidates=draft.candidates,
                reasons=draft.reasons,
                failure=draft.failure,
                publicity_days=draft.publicity_days,
                sha256=_payload_sha256(signed[-1]),
                signature=signed[-1]["signature"],
            )

        return await self._sessions.execute(
            session_id, build, _keep_document(session_id, "evaluation-result", draft.lot, signed)
        )

    async def document(self, session_id: str, type_: str, lot: str | None = None) -> str:
        """A published record or result, as the signed JSON text that was issued."""
        async with self._db.read() as conn:
            text = await latest_document(conn, session_id, type_, ref=lot)
        if text is None:
            raise HubError("record_not_published")
        return text

    # -- bidders -------------------------------------------------------------------------

    async def sign_in(self, session_id: str, bidder: str) -> dict[str, Any]:
        """Before the deadline a sign-in stays private; from the deadline on it is an event."""
        async with self._db.write() as conn:
            state = (await self._sessions.load_in(conn, session_id)).state
            now = self._clock.now()
            if state.phase is Phase.SCHEDULED:
                assert state.signin_opens_at is not None
                if now < state.signin_opens_at:
                    raise HubError("session_error", "Sign-in has not opened yet.", "签到尚未开始。")
                await bid_store.record_signin(conn, session_id, bidder, now)
                return {"signed_in": True, "logged": False}
        if state.phase is Phase.UNSCHEDULED:
            raise HubError("tender_not_found")
        actor = Actor(role=Role.BIDDER, id=bidder)
        stored = await self._sessions.execute(session_id, c.SignIn(actor=actor, bidder=bidder))
        return {"signed_in": True, "logged": bool(stored)}

    async def bidder_command(
        self, session_id: str, bidder: str, name: str, body: Body
    ) -> list[StoredEvent]:
        actor = Actor(role=Role.BIDDER, id=bidder)

        async def build(conn: AsyncConnection, state: OpeningSession, _now: datetime) -> c.Command:
            account = await bidder_store.get_bidder(conn, bidder)
            if account is None:
                raise HubError("not_found", "No such bidder.")
            return _bidder_command(actor, name, body, state, b64u_decode(account.signing_key))

        return await self._sessions.execute(session_id, build)

    # -- what each role sees -------------------------------------------------------------

    async def snapshot(
        self, session_id: str, role: str, bidder: str | None = None
    ) -> dict[str, Any]:
        """The view `role` may see at the log's head; the public one is shared, not a copy."""
        if role == PUBLIC:
            return (await self.public_snapshots.read(session_id)).message
        loaded = await self._sessions.load(session_id)
        state = loaded.state
        if state.phase is Phase.UNSCHEDULED:
            raise HubError("tender_not_found")
        if role == HOST:
            view = host_view(state)
        elif role == BIDDER and bidder is not None:
            view = bidder_view(state, bidder)
        else:
            view = public_view(state)
        return {"seq": loaded.seq, "role": role, "view": view}

    async def events(
        self, session_id: str, role: str, after: int, limit: int = 500
    ) -> dict[str, Any]:
        stored = await self._sessions.events(session_id, after=after)
        # Loaded after the events, so it knows of a read-out among them.
        loaded = await self._sessions.load(session_id)
        if not stored and after == 0 and not loaded.seq:
            raise HubError("tender_not_found")
        page = stored[:limit]
        return {
            "events": event_messages(
                role,
                page,
                read_out_seq=loaded.state.read_out_seq,
                numbers=bid_numbers(loaded.state),
            ),
            "more": len(stored) > limit,
            "last_seq": stored[-1].seq if stored else after,
        }

    async def messages(
        self, session_id: str, role: str, events: list[StoredEvent]
    ) -> list[dict[str, Any]]:
        """`events` of this session as `role` may receive them, e.g. in a command's answer."""
        loaded = await self._sessions.load(session_id)
        return event_messages(
            role, events, read_out_seq=loaded.state.read_out_seq, numbers=bid_numbers(loaded.state)
        )

    async def log(self, session_id: str) -> list[StoredEvent]:
        """The whole log, each event checked against its leaf (hosts hold it to the bundle)."""
        return await self._sessions.events(session_id)


def _keep_document(
    session_id: str, type_: str, ref: str | None, signed: list[dict[str, str]]
) -> Any:
    async def keep(conn: AsyncConnection, _state: OpeningSession, _events: Sequence[Event]) -> None:
        await add_document(
            conn,
            tender_id=session_id,
            type_=type_,
            owner=None,
            body=document_text(signed[-1]),
            now=_events[0].at,
            ref=ref,
        )

    return keep
