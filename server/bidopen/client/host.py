"""The host's client: sign in, create a tender, drive its opening session."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bidopen.client.base import HubClient
from bidopen.client.bid_documents import (
    DownloadedDocument,
    OpenedDocumentInfo,
    download_document,
    list_documents,
)
from bidopen.client.documents import SignedDocument
from bidopen.client.errors import ClientError
from bidopen.client.models import EventMessage, Tender, TenderDraft

if TYPE_CHECKING:
    from bidopen.store.eventlog import StoredEvent

# Host commands of protocol 5.2, by wire name.
HOST_COMMANDS = (
    "start_decryption",
    "decide_quorum",
    "extend_decryption",
    "pause",
    "resume",
    "record_platform_fault",
    "close_decryption",
    "answer_objection",
    "close_confirmation",
    "publish_record",
    "abort",
    "reschedule",
    "set_evaluation_stage",
    "publish_result",
    "answer_result_objection",
)


@dataclass(frozen=True)
class CommandResult:
    """The events a command appended (none when it changed nothing) and the last seq."""

    seq: int | None
    events: tuple[EventMessage, ...]

    @classmethod
    def from_json(cls, value: Any) -> CommandResult:
        if not isinstance(value, dict) or not isinstance(value.get("events"), list):
            raise ClientError("bad_response", f"unexpected command answer: {str(value)[:200]}")
        seq = value.get("seq")
        return cls(
            seq=seq if isinstance(seq, int) else None,
            events=tuple(EventMessage.from_json(item) for item in value["events"]),
        )

    def first(self, kind: str) -> EventMessage | None:
        return next((event for event in self.events if event.kind == kind), None)


class HostClient(HubClient):
    """A tender agent's session: every call needs `login` first (or a token)."""

    namespace = "/host"

    async def login(self, username: str, password: str) -> str:
        answer = await self.http.post(
            "/api/host/login", {"username": username, "password": password}
        )
        token = answer.get("token") if isinstance(answer, dict) else None
        if not isinstance(token, str):
            raise ClientError("bad_response", "the login answer has no token")
        self.http.token = token
        return token

    async def logout(self) -> None:
        await self.http.post("/api/logout")
        self.http.token = None

    async def create_tender(self, draft: TenderDraft) -> Tender:
        return Tender.from_json(await self.http.post("/api/tenders", draft.to_json()))

    async def command(
        self, session_id: str, name: str, body: Mapping[str, Any] | None = None
    ) -> CommandResult:
        """Send one host command (protocol 5.2) and return what it appended to the log."""
        if name not in HOST_COMMANDS:
            raise ValueError(f"unknown host command {name!r}")
        answer = await self.http.post(f"/api/sessions/{session_id}/host/{name}", dict(body or {}))
        return CommandResult.from_json(answer)

    async def start_decryption(self, session_id: str) -> CommandResult:
        return await self.command(session_id, "start_decryption")

    async def decide_quorum(
        self, session_id: str, lot: str, choice: str, reason: str
    ) -> CommandResult:
        body = {"lot": lot, "choice": choice, "reason": reason}
        return await self.command(session_id, "decide_quorum", body)

    async def extend_decryption(self, session_id: str, seconds: int, reason: str) -> CommandResult:
        body = {"seconds": seconds, "reason": reason}
        return await self.command(session_id, "extend_decryption", body)

    async def pause(self, session_id: str, reason: str) -> CommandResult:
        return await self.command(session_id, "pause", {"reason": reason})

    async def resume(self, session_id: str) -> CommandResult:
        return await self.command(session_id, "resume")

    async def record_platform_fault(
        self, session_id: str, bidder: str | None, reason: str
    ) -> CommandResult:
        body = {"bidder": bidder, "reason": reason}
        return await self.command(session_id, "record_platform_fault", body)

    async def close_decryption(self, session_id: str) -> CommandResult:
        return await self.command(session_id, "close_decryption")

    async def answer_objection(
        self, session_id: str, objection_id: str, text: str
    ) -> CommandResult:
        body = {"objection_id": objection_id, "text": text}
        return await self.command(session_id, "answer_objection", body)

    async def close_confirmation(self, session_id: str) -> CommandResult:
        return await self.command(session_id, "close_confirmation")

    async def publish_record(self, session_id: str) -> SignedDocument:
        """Have the hub sign and publish the record; return it, its signature checked."""
        await self.command(session_id, "publish_record")
        return await self.record(session_id)

    async def abort(self, session_id: str, reason: str) -> CommandResult:
        return await self.command(session_id, "abort", {"reason": reason})

    async def documents(self, tender_id: str) -> list[OpenedDocumentInfo]:
        """The opened bid documents of a tender, after the read-out (protocol 5.6)."""
        return await list_documents(self.http, tender_id)

    async def download_document(
        self,
        tender_id: str,
        lot: str,
        bidder: str,
        out: str | os.PathLike[str],
        *,
        overwrite: bool = False,
    ) -> DownloadedDocument:
        """Save one opened bid document to `out`, whole and checked, or not at all."""
        return await download_document(self.http, tender_id, lot, bidder, out, overwrite=overwrite)

    async def log(self, session_id: str) -> list[StoredEvent]:
        """The whole log (protocol 5.4), each event checked against its leaf in the public
        log: the session's bundle proves every leaf under a checkpoint signed by the log."""
        # Imported here: the store modules bring SQLAlchemy, which no other command needs.
        from bidopen.verify.check import Trust, VerificationFailed
        from bidopen.verify.session_log import bundle_size, check_events, events_of

        try:
            events = events_of(session_id, await self.http.get(f"/api/sessions/{session_id}/log"))
        except ValueError as error:
            raise ClientError("bad_response", str(error)) from None
        newest = max((e.leaf or 0) for e in events)
        for _ in range(40):  # a checkpoint covers a new leaf within a second
            bundle = await self.http.get(f"/api/sessions/{session_id}/bundle")
            if bundle_size(bundle) > newest:
                break
            await asyncio.sleep(0.25)
        try:
            check_events(events, bundle, Trust())
        except VerificationFailed as error:
            raise ClientError("log_broken", f"the session log does not verify: {error}") from None
        return events
