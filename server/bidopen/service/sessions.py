"""Running commands against opening sessions: load, decide, append with effects, commit, publish."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.clock import Clock, iso
from bidopen.errors import HubError, from_session_error
from bidopen.service.collector import collector_held
from bidopen.service.log_heads import Anchor, BadAnchor
from bidopen.session import EMPTY, OpeningSession, decide, evolve
from bidopen.session.commands import Command
from bidopen.session.errors import SessionError
from bidopen.session.events import Event, event_from_payload
from bidopen.store import eventlog
from bidopen.store.db import Database, is_unique_violation
from bidopen.store.eventlog import BrokenChain, NewEvent, StoredEvent
from bidopen.store.tenders import get_tender

log = logging.getLogger("bidopen.sessions")

# Builds the command inside the transaction, from what the private tables hold at `now`.
CommandBuilder = Callable[[AsyncConnection, OpeningSession, datetime], Awaitable[Command]]
# Runs in the same transaction as the append: the effect and its event commit together.
# Stores a new session's tender row and returns its id and the command that schedules it.
SessionStarter = Callable[[AsyncConnection, datetime], Awaitable[tuple[str, Command]]]
Effect = Callable[[AsyncConnection, OpeningSession, Sequence[Event]], Awaitable[None]]


class Publisher(Protocol):
    """Where committed events go (the socket rooms); the log stays the truth if this fails.

    `state` is the session after `events`: what a role may read of an event depends on it.
    """

    async def publish(
        self, session_id: str, events: Sequence[StoredEvent], state: OpeningSession
    ) -> None: ...


class EventLogger(Protocol):
    """Puts committed events in the public log, inside the transaction that appends them."""

    async def append_events(
        self, conn: AsyncConnection, session_id: str, events: Sequence[StoredEvent]
    ) -> None: ...


class StateListener(Protocol):
    """Told the new state after each commit (the scheduler watches `next_deadline`)."""

    def session_changed(self, session_id: str, state: OpeningSession) -> None: ...


@dataclass(frozen=True)
class LoadedSession:
    """A session state as of the log's `seq`, whose last hash is `head_hash`."""

    state: OpeningSession
    seq: int
    head_hash: str


def decode(stored: StoredEvent) -> Event:
    return event_from_payload(stored.kind, stored.payload)


def fold(state: OpeningSession, events: Sequence[Event]) -> OpeningSession:
    for event in events:
        state = evolve(state, event)
    return state


class Anchors(Protocol):
    """Where the signed heads kept outside the database are read (`service.log_heads`)."""

    def anchor(self, session_id: str) -> Anchor | None: ...


class SessionService:
    """`execute` is the only way a session changes; reads come from the log, cached per seq.

    Every event read from the database is checked against the hash chain before it is
    folded, and a full replay against the signed head kept outside the database; a session
    whose log fails is refused (`session_log_broken`) until the operator restores it.
    """

    def __init__(self, db: Database, clock: Clock, anchors: Anchors | None = None) -> None:
        self._db = db
        self._clock = clock
        self._anchors = anchors
        self._broken: dict[str, str] = {}
        self._cache: dict[str, LoadedSession] = {}
        self._publishers: list[Publisher] = []
        self._listeners: list[StateListener] = []
        self._logger: EventLogger | None = None

    def add_publisher(self, publisher: Publisher) -> None:
        self._publishers.append(publisher)

    def add_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    def set_event_logger(self, logger: EventLogger) -> None:
        self._logger = logger

    async def _log(
        self,
        conn: AsyncConnection,
        session_id: str,
        outcome: tuple[LoadedSession, list[StoredEvent]] | None,
    ) -> None:
        if outcome is not None and self._logger is not None:
            await self._logger.append_events(conn, session_id, outcome[1])

    async def load_in(self, conn: AsyncConnection, session_id: str) -> LoadedSession:
        """The state as of the log's head in `conn`'s transaction (what the caller writes after)."""
        anchor = self._anchor_before_head(session_id)
        seq, head_hash = await eventlog.head(conn, session_id)
        cached = self._cache.get(session_id)
        if cached is not None and cached.seq == seq:
            return cached
        return await self._replay(conn, session_id, seq, head_hash, anchor)

    async def load(self, session_id: str) -> LoadedSession:
        """The newest committed state: the log's head, or this process's newer commit."""
        anchor = self._anchor_before_head(session_id)
        async with self._db.read() as conn:
            seq, head_hash = await eventlog.head(conn, session_id)
            cached = self._cache.get(session_id)
            # A read that began just before a commit of this process sees an older head;
            # the cache then holds the newer, committed state, which was already published.
            if cached is not None and cached.seq >= seq:
                return cached
            return await self._replay(conn, session_id, seq, head_hash, anchor)

    def _anchor_before_head(self, session_id: str) -> Anchor | None:
        """The signed head, for a session this process holds no state of (a full replay).

        Read before the log's head: a head file is written after its commit, so one read
        first can never be ahead of the log read after it, whoever commits meanwhile.
        """
        self._refuse_broken(session_id)
        if self._anchors is None or session_id in self._cache:
            return None
        try:
            return self._anchors.anchor(session_id)
        except BadAnchor as exc:
            self._mark_broken(session_id, str(exc))

    def cached(self, session_id: str) -> LoadedSession | None:
        """The newest state this process has committed or read, without asking the database.

        It is never older than anything this process published (`_after_commit` stores the
        state before it publishes), but it can be older than the log when other nodes write.
        """
        return self._cache.get(session_id)

    async def _replay(
        self,
        conn: AsyncConnection,
        session_id: str,
        seq: int,
        head_hash: str,
        anchor: Anchor | None = None,
    ) -> LoadedSession:
        """Fold the events the cache has not seen, up to `seq`, the head the caller read."""
        cached = self._cache.get(session_id)
        if cached is None or cached.seq > seq:
            base, after, after_hash = EMPTY, 0, eventlog.GENESIS_HASH
        else:
            base, after, after_hash = cached.state, cached.seq, cached.head_hash
        # Up to the head the caller read: under READ COMMITTED a later commit may show up here.
        stored = [e for e in await eventlog.load(conn, session_id, after=after) if e.seq <= seq]
        self._verify(session_id, stored, after, after_hash, seq, head_hash)
        if not after and anchor is not None:
            self._check_anchor(session_id, stored, seq, anchor)
        try:
            state = fold(base, [decode(e) for e in stored])
        except SessionError as exc:
            log.error("session %s: log does not replay: %s", session_id, exc)
            raise HubError("event_rejected", str(exc)) from exc
        loaded = LoadedSession(state, stored[-1].seq if stored else after, head_hash)
        self._remember(session_id, loaded)
        return loaded

    def _verify(
        self,
        session_id: str,
        stored: Sequence[StoredEvent],
        after: int,
        after_hash: str,
        seq: int,
        head_hash: str,
    ) -> None:
        """Refuse a log whose chain does not hold from (after, after_hash) to its head."""
        try:
            eventlog.verify_chain(stored, after_seq=after, after_hash=after_hash)
            last = (stored[-1].seq, stored[-1].hash) if stored else (after, after_hash)
            if last != (seq, head_hash):
                raise BrokenChain(f"the log's head is seq {seq}, its events end at {last[0]}")
        except BrokenChain as exc:
            self._mark_broken(session_id, str(exc))

    def _check_anchor(
        self, session_id: str, stored: Sequence[StoredEvent], seq: int, anchor: Anchor
    ) -> None:
        """A whole log (from seq 1) against its signed head: shortened or rewritten at it."""
        if seq < anchor.seq:
            self._mark_broken(
                session_id, f"the log ends at seq {seq}, its signed head is at seq {anchor.seq}"
            )
        if anchor.seq and stored[anchor.seq - 1].hash != anchor.hash:
            self._mark_broken(session_id, f"seq {anchor.seq} differs from its signed head")

    def _mark_broken(self, session_id: str, reason: str) -> NoReturn:
        self._broken[session_id] = reason
        self._cache.pop(session_id, None)
        log.error(
            "SESSION LOG BROKEN: session %s is not served: %s. Restore its events from a "
            "backup (docs/operations.md, integrity) and restart the hub.",
            session_id,
            reason,
        )
        raise HubError("session_log_broken")

    def _refuse_broken(self, session_id: str) -> None:
        if session_id in self._broken:
            raise HubError("session_log_broken")

    def _remember(self, session_id: str, loaded: LoadedSession) -> None:
        """Keep the newest state only: a slow reader must not move the cache back.

        An empty log is not kept, so that reads of made-up session ids cost no memory.
        """
        current = self._cache.get(session_id)
        if loaded.seq > 0 and (current is None or current.seq < loaded.seq):
            self._cache[session_id] = loaded

    async def execute(
        self,
        session_id: str,
        command: Command | CommandBuilder,
        effect: Effect | None = None,
    ) -> list[StoredEvent]:
        """Decide and append in one transaction, then publish; a lost seq race retries once.

        The garbage collector waits until the events are out (see `collector`): a pause in
        here delays what every viewer sees, the read-out above all.
        """
        with collector_held():
            for attempt in (1, 2):
                try:
                    outcome = await self._attempt(session_id, command, effect)
                    break
                except IntegrityError as exc:
                    if attempt == 2 or not is_unique_violation(exc):
                        raise
                    # Another node appended the same seq first: decide again on its outcome.
                    self._cache.pop(session_id, None)
            if outcome is None:
                return []
            await self._after_commit(session_id, *outcome)
            return outcome[1]

    async def start(self, prepare: SessionStarter) -> str:
        """Create a session: `prepare` stores its tender row and names the scheduling command."""
        with collector_held():
            async with self._db.write() as conn:
                now = self._clock.now()
                session_id, command = await prepare(conn, now)
                loaded = await self.load_in(conn, session_id)
                after = await self._decide_and_append(conn, session_id, loaded, command, now, None)
                await self._log(conn, session_id, after)
            if after is not None:
                await self._after_commit(session_id, *after)
            return session_id

    async def _attempt(
        self,
        session_id: str,
        command: Command | CommandBuilder,
        effect: Effect | None,
    ) -> tuple[LoadedSession, list[StoredEvent]] | None:
        async with self._db.write() as conn:
            # Locking the tender row queues every writer of this session, on every node, so
            # the deadline tick and a late upload cannot interleave.
            if await get_tender(conn, session_id, lock=True) is None:
                raise HubError("tender_not_found")
            loaded = await self.load_in(conn, session_id)
            now = self._clock.now()
            if not isinstance(command, Command):
                try:
                    command = await command(conn, loaded.state, now)
                except SessionError as exc:
                    # A command whose fields the core refuses is a refusal too, not a crash.
                    raise from_session_error(exc) from exc
            outcome = await self._decide_and_append(conn, session_id, loaded, command, now, effect)
            await self._log(conn, session_id, outcome)
            return outcome

    @staticmethod
    async def _decide_and_append(
        conn: AsyncConnection,
        session_id: str,
        loaded: LoadedSession,
        command: Command,
        now: datetime,
        effect: Effect | None,
    ) -> tuple[LoadedSession, list[StoredEvent]] | None:
        """Inside the caller's transaction: decide, chain, append, run the effect."""
        try:
            events = decide(loaded.state, command, now)
        except SessionError as exc:
            raise from_session_error(exc) from exc
        if not events:
            return None
        new = [NewEvent(e.kind, iso(e.at), e.to_payload()) for e in events]
        stored = eventlog.chain(session_id, loaded.seq, loaded.head_hash, new)
        await eventlog.append(conn, stored)
        if effect is not None:
            await effect(conn, loaded.state, events)
        state = fold(loaded.state, events)
        return LoadedSession(state, stored[-1].seq, stored[-1].hash), stored

    async def _after_commit(
        self, session_id: str, loaded: LoadedSession, stored: list[StoredEvent]
    ) -> None:
        # Before publishing: a public viewer seated from `cached()` after an event reached
        # its room must get a snapshot that already holds that event.
        self._remember(session_id, loaded)
        for listener in self._listeners:
            listener.session_changed(session_id, loaded.state)
        for publisher in self._publishers:
            try:
                await publisher.publish(session_id, stored, loaded.state)
            except Exception:
                # Clients catch up from the log by seq; a failed doorbell loses nothing.
                log.exception("publishing session %s events failed", session_id)

    async def events(self, session_id: str, *, after: int = 0) -> list[StoredEvent]:
        """Events after `after`, each checked against its hash and its neighbours' links.

        A session this process has not loaded is loaded (and so verified whole) first; a
        rewrite of a whole suffix with fresh hashes is caught by the next full replay.
        """
        if session_id not in self._cache:
            await self.load(session_id)
        self._refuse_broken(session_id)
        async with self._db.read() as conn:
            stored = await eventlog.load(conn, session_id, after=after)
        if stored:
            try:
                eventlog.verify_chain(stored, after_seq=after, after_hash=stored[0].prev_hash)
            except BrokenChain as exc:
                self._mark_broken(session_id, str(exc))
        return stored

    async def session_ids(self) -> list[str]:
        async with self._db.read() as conn:
            return await eventlog.session_ids(conn)

    def forget(self, session_id: str) -> None:
        self._cache.pop(session_id, None)
