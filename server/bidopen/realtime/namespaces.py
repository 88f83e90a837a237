"""The three namespaces: `/host` and `/bidder` sign in with a token, `/public` is read-only."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import msgspec
import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from bidopen.errors import HubError, error_payload
from bidopen.http.declared import reads
from bidopen.realtime.limits import PublicLimits
from bidopen.realtime.roomheads import RoomHeads
from bidopen.realtime.transport import TransportLimits
from bidopen.service.accounts import Accounts
from bidopen.service.host_scope import HostScope
from bidopen.service.opening import Opening
from bidopen.service.public_snapshots import PublicSnapshot
from bidopen.service.views import BIDDER, HOST, PUBLIC
from bidopen.store.accounts import Principal
from bidopen.wire.bodies import CatchUp, MemberAuth, PublicAuth, SessionRef
from bidopen.wire.decoding import convert
from bidopen.wire.messages import EventMessage, SnapshotMessage

log = logging.getLogger("bidopen.realtime")

SOCKET_EVENTS = ("join", "catch_up", "leave")


@dataclass(frozen=True)
class SocketDeps:
    accounts: Accounts
    host_scope: HostScope
    opening: Opening
    connected: dict[str, set[str]]
    limits: PublicLimits
    public_max_message_bytes: int
    transport: TransportLimits


def _refuse(error: HubError) -> socketio.exceptions.ConnectionRefusedError:
    """`connect_error` with the English message and, as its data, the error payload (1.2)."""
    return socketio.exceptions.ConnectionRefusedError(error.message, error_payload(error))


def _session_id(data: object) -> str:
    return convert(data, SessionRef).session_id


class _Namespace(socketio.AsyncNamespace):  # type: ignore[misc]
    role: str = PUBLIC
    # Whether clients may send messages at all (the AsyncAPI document reads this too).
    read_only: ClassVar[bool] = False
    # What the hub emits here, by event name (the AsyncAPI document's messages).
    sends: ClassVar[Mapping[str, type[msgspec.Struct]]] = {"event": EventMessage}

    def __init__(self, namespace: str, deps: SocketDeps) -> None:
        super().__init__(namespace)
        self.deps = deps

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        if event not in SOCKET_EVENTS:
            return error_payload(
                HubError(
                    "not_found", f"Socket events are {', '.join(SOCKET_EVENTS)}; commands use REST."
                )
            )
        # Exactly one data argument reaches a handler: none reads as null, extras are
        # dropped, so no message shape can make a handler fail unanswered.
        sid = args[0]
        data = args[1] if len(args) > 1 else None
        try:
            return await super().trigger_event(event, sid, data)
        except HubError as error:
            return error_payload(error)

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        # Clients leave all the time (a closed tab, a dropped network): not an error.
        log.debug("%s socket %s left: %s", self.namespace, sid, reason)
        self.deps.connected[self.namespace].discard(sid)

    async def _viewer(self, sid: str) -> str | None:
        return None

    async def _admit(self, sid: str, session_id: str) -> None:
        """Raise unless this socket may follow the session in this namespace."""

    @reads(SessionRef)
    async def on_join(self, sid: str, data: object) -> dict[str, Any]:
        """Enter the session's room first, then read the snapshot: no event falls in between."""
        session_id = _session_id(data)
        await self._admit(sid, session_id)
        await self.enter_room(sid, session_id)
        try:
            snapshot = await self.deps.opening.snapshot(
                session_id, self.role, await self._viewer(sid)
            )
        except HubError:
            await self.leave_room(sid, session_id)
            raise
        _joined(self.server.manager, self.namespace, session_id, snapshot)
        return {"snapshot": snapshot}

    @reads(CatchUp)
    async def on_catch_up(self, sid: str, data: object) -> dict[str, Any]:
        request = convert(data, CatchUp)
        await self._admit(sid, request.session_id)
        return await self.deps.opening.events(request.session_id, self.role, request.after)

    @reads(SessionRef)
    async def on_leave(self, sid: str, data: object) -> dict[str, Any]:
        await self.leave_room(sid, _session_id(data))
        return {"left": True}


class _SignedInNamespace(_Namespace):
    @reads(MemberAuth)
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        address = self.deps.transport.address(environ)
        try:
            self.deps.transport.check_sign_in(address)
            if not isinstance(auth, Mapping) or "token" not in auth:
                raise HubError("unauthenticated", "auth.token is required.", field="auth.token")
            token = convert(auth, MemberAuth, at="auth").token
            principal = await self.deps.accounts.authenticate(token)
        except HubError as error:
            if error.code == "unauthenticated":
                self.deps.transport.sign_in_failed(address)
            raise _refuse(error) from None
        if principal.role != self.role:
            raise _refuse(HubError("forbidden", f"This namespace is for the {self.role} role."))
        await self.save_session(
            sid, {"subject": principal.subject, "organisation": principal.organisation}
        )
        self.deps.connected[self.namespace].add(sid)

    async def _viewer(self, sid: str) -> str | None:
        session = await self.get_session(sid)
        return str(session["subject"])


class HostNamespace(_SignedInNamespace):
    """A host follows only its organisation's tenders; the public follows any on `/public`."""

    role = HOST

    async def _admit(self, sid: str, session_id: str) -> None:
        session = await self.get_session(sid)
        principal = Principal(HOST, str(session["subject"]), session.get("organisation"))
        # The same rule as every host path; raises not_your_tender for another organisation.
        await self.deps.host_scope.actor(principal, session_id)


class BidderNamespace(_SignedInNamespace):
    role = BIDDER


class PublicNamespace(_Namespace):
    """No account; the session is chosen at connect time and any message is refused."""

    role = PUBLIC
    read_only = True
    sends: ClassVar[Mapping[str, type[msgspec.Struct]]] = {
        "event": EventMessage,
        "snapshot": SnapshotMessage,
    }

    @reads(PublicAuth)
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        address = self.deps.transport.address(environ)
        try:
            session_id = convert(auth, PublicAuth, at="auth").session_id
        except HubError as error:
            raise _refuse(error) from None
        # The room first, then the head: an event published after this line reaches the
        # viewer, and one published before it was committed before it, so the snapshot
        # holds it. An event may reach the viewer before its snapshot; clients keep it.
        await self.enter_room(sid, session_id)
        try:
            snapshot = await self._seat(session_id)
        except HubError as error:
            await self.leave_room(sid, session_id)
            raise _refuse(error) from None
        if not self.deps.limits.admit(address):
            await self.leave_room(sid, session_id)
            raise _refuse(HubError("rate_limited", "Too many connections from this address."))
        await self.save_session(sid, {"address": address})
        self.deps.connected[self.namespace].add(sid)
        _joined(self.server.manager, self.namespace, session_id, snapshot.message)
        # The CONNECT packet goes out when this handler returns; the snapshot must follow it.
        asyncio.get_running_loop().create_task(
            self._send_snapshot(sid, session_id, snapshot.message)
        )

    async def _seat(self, session_id: str) -> PublicSnapshot:
        """The shared snapshot; from memory when no other node can publish to our rooms."""
        snapshots = self.deps.opening.public_snapshots
        # With a pub/sub manager other nodes' events reach our rooms while our cache knows
        # nothing of them: only the database can say what the room has already been sent.
        if not isinstance(self.server.manager, AsyncPubSubManager):
            known = snapshots.known(session_id)
            if known is not None:
                return known
        return await snapshots.read(session_id)

    async def _send_snapshot(self, sid: str, session_id: str, first: dict[str, Any]) -> None:
        try:
            await self.emit("snapshot", first, to=sid)
        except Exception:
            log.debug("public socket %s left before its snapshot", sid)

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        try:
            session = await self.get_session(sid)
            self.deps.limits.release(str(session.get("address")), sid)
        except KeyError:
            pass
        await super().on_disconnect(sid, reason)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if not self.read_only or event in ("connect", "disconnect"):
            return await socketio.AsyncNamespace.trigger_event(self, event, *args)
        sid = args[0] if args else ""
        size = len(json.dumps(args[1:], default=str).encode()) + len(event.encode())
        if size > self.deps.public_max_message_bytes or not self.deps.limits.allow_message(sid):
            await self.disconnect(sid)
            return None
        return error_payload(HubError("read_only"))


def _joined(manager: object, namespace: str, session_id: str, snapshot: Mapping[str, Any]) -> None:
    """Tell the node's room marks the seq a viewer starts from (see `RoomHeads.joined`)."""
    heads = getattr(manager, "room_heads", None)
    if isinstance(heads, RoomHeads) and isinstance(snapshot.get("seq"), int):
        heads.joined(namespace, session_id, snapshot["seq"])
