"""Creating tenders (code, lots, windows, read-out items) and describing them to anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.clock import Clock, iso
from bidopen.config import MAX_DEADLINE_DAYS
from bidopen.errors import HubError, from_session_error
from bidopen.service.sessions import SessionService
from bidopen.service.timelimits import check_deadline, check_past_instant
from bidopen.service.views import HOST
from bidopen.session.codec import JSON, encode
from bidopen.session.commands import ScheduleSession
from bidopen.session.errors import SessionError
from bidopen.session.state import OpeningSession
from bidopen.session.validate import as_utc, check_unique
from bidopen.session.values import NO_PARTIES, Actor, Lot, ReadoutItem, Role, TenderParties
from bidopen.store import organisations as organisation_store
from bidopen.store import tenders as tender_store
from bidopen.store.accounts import Principal
from bidopen.store.db import Database
from bidopen.store.tenders import TenderRow
from bidopen.wire.bodies import CreateTender
from bidseal.ids import is_hub_id
from bidseal.readout import ItemType

DEFAULT_READOUT: tuple[ReadoutItem, ...] = (
    ReadoutItem(
        key="price", label_zh="投标报价（元）", label_en="Bid price (CNY)", type=ItemType.AMOUNT
    ),
    ReadoutItem(
        key="duration_days",
        label_zh="工期（日历天）",
        label_en="Duration (days)",
        type=ItemType.DAYS,
    ),
)


@dataclass(frozen=True)
class TenderDraft:
    """A host's request for a new tender, checked; the code is assigned when it is stored."""

    title: str
    lots: tuple[Lot, ...]
    deadline: datetime
    signin_opens_at: datetime
    decryption_seconds: int
    confirmation_seconds: int
    readout_items: tuple[ReadoutItem, ...]
    parties: TenderParties = NO_PARTIES
    demo_publicity_seconds: int | None = None


def parse_draft(
    body: CreateTender,
    now: datetime,
    max_deadline_days: int = MAX_DEADLINE_DAYS,
    *,
    demo: bool = False,
) -> TenderDraft:
    """A create-tender body, already of its declared shape, checked against the domain.

    `demo`: the hub runs the demo, so a tender may state the demo's shortened publicity.
    """
    if body.demo_publicity_seconds is not None and not demo:
        raise HubError("demo_only", "(demo_publicity_seconds)", field="demo_publicity_seconds")
    # Lot ids reach the bids' rows and the sealed files' contexts: only the hub's id pattern.
    for index, lot in enumerate(body.lots):
        if not is_hub_id(lot.id):
            raise HubError("invalid_id", "(lot id)", "（标段编号）", field=f"lots[{index}].id")
    check_deadline("deadline", body.deadline, now, max_deadline_days)
    if body.signin_opens_at is not None:
        check_past_instant("signin_opens_at", body.signin_opens_at, now, max_deadline_days)
    try:
        draft = TenderDraft(
            title=body.title.strip(),
            lots=tuple(
                Lot(id=lot.id, name=lot.name.strip(), ceiling=lot.ceiling) for lot in body.lots
            ),
            deadline=as_utc(body.deadline),
            signin_opens_at=min(as_utc(body.signin_opens_at or now), as_utc(body.deadline)),
            decryption_seconds=body.decryption_seconds,
            confirmation_seconds=body.confirmation_seconds,
            readout_items=DEFAULT_READOUT
            if body.readout_items is None
            else tuple(
                ReadoutItem(
                    key=i.key,
                    label_zh=i.label_zh.strip(),
                    label_en=i.label_en.strip(),
                    type=i.type,
                    max_length=i.max_length,
                )
                for i in body.readout_items
            ),
            parties=TenderParties(
                tenderer=(body.tenderer or "").strip(),
                agency=(body.agency or "").strip(),
                tendered_by_law=body.tendered_by_law,
            ),
            demo_publicity_seconds=body.demo_publicity_seconds,
        )
        check_unique("lots", (lot.id for lot in draft.lots))
        check_unique("readout_items", (item.key for item in draft.readout_items))
    except SessionError as exc:
        raise from_session_error(exc) from exc
    return draft


def public_tender(row: TenderRow, state: OpeningSession) -> dict[str, Any]:
    """What anyone may read about a tender; never who has bid or how many before the deadline."""
    spec = row.spec
    return {
        "id": row.id,
        "code": row.id,
        "title": row.title,
        "lots": spec["lots"],
        "deadline": iso(state.deadline or row.deadline),
        "signin_opens_at": spec["signin_opens_at"],
        # From the log, not the spec: specs stored before durations were in seconds say minutes.
        "decryption_seconds": state.decryption_seconds,
        "confirmation_seconds": state.confirmation_seconds,
        "readout_items": spec["readout_items"],
        # Tenders created before parties were kept have none.
        "parties": spec.get("parties", encode(NO_PARTIES)),
        "phase": str(state.phase),
        "publicity_ends_at": _publicity_ends_at(state),
        "organisation": {"id": state.organisation, "name": state.organisation_name},
        "created_at": iso(row.created_at),
    }


def _publicity_ends_at(state: OpeningSession) -> str | None:
    """When the last publicity period of the published results ends; None before any result."""
    ends = [result.publicity_ends_at for result in state.results.values()]
    return iso(max(ends)) if ends else None


class Tenders:
    def __init__(self, db: Database, clock: Clock, sessions: SessionService) -> None:
        self._db = db
        self._clock = clock
        self._sessions = sessions

    async def create(self, host: Principal, draft: TenderDraft) -> str:
        """Store the tender and schedule its session in one transaction; returns the code.

        The tender belongs to the host's organisation, for good.
        """
        organisation_id = host.organisation
        if host.role != HOST or organisation_id is None:
            raise HubError("forbidden", "This needs the host role.")

        async def prepare(conn: AsyncConnection, now: datetime) -> tuple[str, ScheduleSession]:
            organisation = await organisation_store.get_organisation(conn, organisation_id)
            if organisation is None:
                raise HubError("forbidden", "The host's organisation does not exist.")
            spec: dict[str, JSON] = {
                "lots": [
                    {"id": lot.id, "name": lot.name, "ceiling": lot.ceiling} for lot in draft.lots
                ],
                "signin_opens_at": iso(draft.signin_opens_at),
                "parties": encode(draft.parties),
                # Read by `bidopen seal --url` and the bidder room to type values.
                "readout_items": [
                    {
                        "key": i.key,
                        "label_zh": i.label_zh,
                        "label_en": i.label_en,
                        "type": str(i.type),
                        "max_length": i.max_length,
                    }
                    for i in draft.readout_items
                ],
            }
            code = await tender_store.insert_tender(
                conn,
                title=draft.title,
                deadline=draft.deadline,
                spec=spec,
                lot_names=[(lot.id, lot.name) for lot in draft.lots],
                created_by=host.subject,
                organisation_id=organisation.id,
                now=now,
            )
            try:
                command = ScheduleSession(
                    actor=Actor(role=Role.HOST, id=organisation.id),
                    tender_id=code,
                    code=code,
                    title=draft.title,
                    host=host.subject,
                    organisation=organisation.id,
                    organisation_name=organisation.name,
                    lots=draft.lots,
                    deadline=draft.deadline,
                    signin_opens_at=draft.signin_opens_at,
                    decryption_seconds=draft.decryption_seconds,
                    confirmation_seconds=draft.confirmation_seconds,
                    readout_items=draft.readout_items,
                    parties=draft.parties,
                    demo_publicity_seconds=draft.demo_publicity_seconds,
                )
            except SessionError as exc:
                raise from_session_error(exc) from exc
            return code, command

        return await self._sessions.start(prepare)

    async def get(self, tender_id: str) -> TenderRow:
        async with self._db.read() as conn:
            row = await tender_store.get_tender(conn, tender_id)
        if row is None:
            raise HubError("tender_not_found")
        return row

    async def describe(self, tender_id: str) -> dict[str, Any]:
        row = await self.get(tender_id)
        loaded = await self._sessions.load(tender_id)
        return public_tender(row, loaded.state)

    async def list(
        self, *, limit: int, offset: int, organisation: str | None = None
    ) -> list[dict[str, Any]]:
        async with self._db.read() as conn:
            rows = await tender_store.list_tenders(
                conn, limit=limit, offset=offset, organisation=organisation
            )
        described = []
        for row in rows:
            loaded = await self._sessions.load(row.id)
            described.append(public_tender(row, loaded.state))
        return described

    async def lot_ids(self, tender_id: str) -> set[str]:
        row = await self.get(tender_id)
        return {lot["id"] for lot in row.spec["lots"]}
