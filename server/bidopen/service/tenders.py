"""Creating tenders (code, lots, windows, read-out items) and describing them to anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.clock import Clock, iso, parse_iso
from bidopen.errors import HubError, from_session_error
from bidopen.service.sessions import SessionService
from bidopen.session.commands import ScheduleSession
from bidopen.session.errors import SessionError
from bidopen.session.state import OpeningSession
from bidopen.session.validate import check_unique
from bidopen.session.values import Actor, Lot, ReadoutItem, Role
from bidopen.store import tenders as tender_store
from bidopen.store.db import Database
from bidopen.store.tenders import TenderRow
from bidseal.ids import is_hub_id

DEFAULT_READOUT: tuple[ReadoutItem, ...] = (
    ReadoutItem(key="price", label_zh="投标报价（元）", label_en="Bid price (CNY)"),
    ReadoutItem(key="duration_days", label_zh="工期（日历天）", label_en="Duration (days)"),
)


@dataclass(frozen=True)
class TenderDraft:
    """A host's request for a new tender, checked; the code is assigned when it is stored."""

    title: str
    lots: tuple[Lot, ...]
    deadline: datetime
    signin_opens_at: datetime
    decryption_minutes: int
    confirmation_minutes: int
    readout_items: tuple[ReadoutItem, ...]


def _instant(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    if not isinstance(value, str):
        raise HubError("validation_failed", f"{name} must be an ISO 8601 instant with a zone.")
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise HubError(
            "validation_failed", f"{name} must be an ISO 8601 instant with a zone."
        ) from exc


def _int(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise HubError("validation_failed", f"{name} must be an integer.")
    return value


def _lot_id(lot: object) -> str:
    """A lot id as the host gave it, refused unless it matches the hub's id pattern."""
    if not isinstance(lot, dict):
        raise HubError("validation_failed", "each lot must be an object with id and name.")
    value = lot.get("id")
    if not is_hub_id(value):
        raise HubError("invalid_id", "(lot id)", "（标段编号）")
    assert isinstance(value, str)
    return value


def parse_draft(body: dict[str, Any], now: datetime) -> TenderDraft:
    """Read a create-tender body; the session core's value checks apply to every field."""
    try:
        raw_lots = body.get("lots")
        if not isinstance(raw_lots, list) or not raw_lots:
            raise HubError("validation_failed", "lots must be a non-empty list.")
        lots = tuple(Lot(id=_lot_id(lot), name=lot.get("name")) for lot in raw_lots)
        check_unique("lots", (lot.id for lot in lots))
        raw_items = body.get("readout_items")
        if raw_items is None:
            items = DEFAULT_READOUT
        elif isinstance(raw_items, list) and all(isinstance(i, dict) for i in raw_items):
            items = tuple(
                ReadoutItem(
                    key=i.get("key"), label_zh=i.get("label_zh"), label_en=i.get("label_en")
                )
                for i in raw_items
            )
        else:
            raise HubError("validation_failed", "readout_items must be a list of objects.")
        deadline = _instant(body, "deadline")
        signin = _instant(body, "signin_opens_at") if "signin_opens_at" in body else now
        title = body.get("title")
        if not isinstance(title, str):
            raise HubError("validation_failed", "title must be text.")
        draft = TenderDraft(
            title=title.strip(),
            lots=lots,
            deadline=deadline,
            signin_opens_at=min(signin, deadline),
            decryption_minutes=_int(body, "decryption_minutes", 30),
            confirmation_minutes=_int(body, "confirmation_minutes", 15),
            readout_items=items,
        )
    except AttributeError as exc:
        raise HubError("validation_failed", "each lot must be an object with id and name.") from exc
    except SessionError as exc:
        raise HubError("validation_failed", str(exc)) from exc
    if deadline <= now:
        raise HubError("validation_failed", "deadline must be in the future.")
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
        "decryption_minutes": spec["decryption_minutes"],
        "confirmation_minutes": spec["confirmation_minutes"],
        "readout_items": spec["readout_items"],
        "phase": str(state.phase),
        "created_at": iso(row.created_at),
    }


class Tenders:
    def __init__(self, db: Database, clock: Clock, sessions: SessionService) -> None:
        self._db = db
        self._clock = clock
        self._sessions = sessions

    async def create(self, host: str, draft: TenderDraft) -> str:
        """Store the tender and schedule its session in one transaction; returns the code."""

        async def prepare(conn: AsyncConnection, now: datetime) -> tuple[str, ScheduleSession]:
            spec = {
                "lots": [{"id": lot.id, "name": lot.name} for lot in draft.lots],
                "signin_opens_at": iso(draft.signin_opens_at),
                "decryption_minutes": draft.decryption_minutes,
                "confirmation_minutes": draft.confirmation_minutes,
                "readout_items": [
                    {"key": i.key, "label_zh": i.label_zh, "label_en": i.label_en}
                    for i in draft.readout_items
                ],
            }
            code = await tender_store.insert_tender(
                conn,
                title=draft.title,
                deadline=draft.deadline,
                spec=spec,
                lot_names=[(lot.id, lot.name) for lot in draft.lots],
                created_by=host,
                now=now,
            )
            try:
                command = ScheduleSession(
                    actor=Actor(role=Role.HOST, id=host),
                    tender_id=code,
                    code=code,
                    title=draft.title,
                    host=host,
                    lots=draft.lots,
                    deadline=draft.deadline,
                    signin_opens_at=draft.signin_opens_at,
                    decryption_minutes=draft.decryption_minutes,
                    confirmation_minutes=draft.confirmation_minutes,
                    readout_items=draft.readout_items,
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

    async def list(self, *, limit: int, offset: int) -> list[dict[str, Any]]:
        async with self._db.read() as conn:
            rows = await tender_store.list_tenders(conn, limit=limit, offset=offset)
        described = []
        for row in rows:
            loaded = await self._sessions.load(row.id)
            described.append(public_tender(row, loaded.state))
        return described

    async def lot_ids(self, tender_id: str) -> set[str]:
        row = await self.get(tender_id)
        return {lot["id"] for lot in row.spec["lots"]}
