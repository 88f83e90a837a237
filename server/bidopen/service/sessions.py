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
from bidopen.session import EMPTY, OpeningSession, decide, evolve
from bidopen.session.commands import Command
from bidopen.session.errors import SessionError
from bidopen.session.events import Event, event_from_payload
from bidopen.store import event_leaves, eventlog
from bidopen.store.db import Database, is_unique_violation
from bidopen.store.eventlog import NewEvent, StoredEvent
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
    """Puts new events in the public log, inside the transaction that stores them, and
    returns them naming their leaves."""

    async def append_events(
        self, conn: AsyncConnection, session_id: str, events: Sequence[StoredEvent]
    ) -> list[StoredEvent]: ...


class StateListener(Protocol):
    """Told the new state after each commit (the scheduler watches `next_deadline`)."""

    def session_changed(self, session_id: str, state: OpeningSession) -> None: ...


@dataclass(frozen=True)
class LoadedSession:
    """A session state as of the log's `seq`."""

    state: OpeningSession
    seq: int


def decode(stored: StoredEvent) -> Event:
    return event_from_payload(stored.kind, stored.payload)


def fold(state: OpeningSession, events: Sequence[Event]) -> OpeningSession:
    for event in events:
        state = evolve(state, event)
    return state


class SessionService:
    """`execute` is the only way a session changes; reads come from the log, cached per seq.

    Every event read from the database is checked against its leaf in the public log before
    it is folded, and a full replay also looks for log entries of the session that no stored
    event names (the newest events deleted); a session whose log fails is refused
    (`session_log_broken`) until the operator restores it. At start every session is checked
    so (`check_all`), and the public log checks its tree against its signed checkpoints.
    """

    def __init__(self, db: Database, clock: Clock, entries: EventLogger) -> None:
        self._db = db
        self._clock = clock
        self._entries = entries
        self._broken: dict[str, str] = {}
        self._cache: dict[str, LoadedSession] = {}
        self._publishers: list[Publisher] = []
        self._listeners: list[StateListener] = []

    def add_publisher(self, publisher: Publisher) -> None:
        self._publishers.append(publisher)

    def add_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    async def load_in(self, conn: AsyncConnection, session_id: str) -> LoadedSession:
        """The state as of the log's head in `conn`'s transaction (what the caller writes after)."""
        self._refuse_broken(session_id)
        seq = await eventlog.last_seq(conn, session_id)
        cached = self._cache.get(session_id)
        if cached is not None and cached.seq == seq:
            return cached
        return await self._replay(conn, session_id, seq)

    async def load(self, session_id: str) -> LoadedSession:
        """The newest committed state: the log's head, or this process's newer commit."""
        self._refuse_broken(session_id)
        async with self._db.read() as conn:
            seq = await eventlog.last_seq(conn, session_id)
            cached = self._cache.get(session_id)
            # A read that began just before a commit of this process sees an older head;
            # the cache then holds the newer, committed state, which was already published.
            if cached is not None and cached.seq >= seq:
                return cached
            return await self._replay(conn, session_id, seq)

    def cached(self, session_id: str) -> LoadedSession | None:
        """The newest state this process has committed or read, without asking the database.

        It is never older than anything this process published (`_after_commit` stores the
        state before it publishes), but it can be older than the log when other nodes write.
        """
        return self._cache.get(session_id)

    async def _replay(self, conn: AsyncConnection, session_id: str, seq: int) -> LoadedSession:
        """Fold the events the cache has not seen, up to `seq`, the head the caller read."""
        cached = self._cache.get(session_id)
        if cached is None or cached.seq > seq:
            base, after = EMPTY, 0
        else:
            base, after = cached.state, cached.seq
        # Up to the head the caller read: under READ COMMITTED a later commit may show up here.
        found = [
            e
            for e in await event_leaves.load_with_leaves(conn, session_id, after=after)
            if e.event.seq <= seq
        ]
        problem = event_leaves.leaf_problem(found, after=after)
        if problem is None and len(found) != seq - after:
            problem = f"the log's head is seq {seq}, its events end at {after + len(found)}"
        if problem is None and not after:
            problem = (await event_leaves.unnamed_event_leaves(conn, session_id)).get(session_id)
        if problem is not None:
            self._mark_broken(session_id, problem)
        stored = [e.event for e in found]
        try:
            state = fold(base, [decode(e) for e in stored])
        except SessionError as exc:
            log.error("session %s: log does not replay: %s", session_id, exc)
            raise HubError("event_rejected", str(exc)) from exc
        loaded = LoadedSession(state, stored[-1].seq if stored else after)
        self._remember(session_id, loaded)
        return loaded

    async def check_all(self) -> int:
        """At start: every session's events against their leaves; the broken ones are refused
        from now on (one ERROR line each). How many sessions were found broken."""
        async with self._db.read() as conn:
            unnamed = await event_leaves.unnamed_event_leaves(conn)
            ids = await eventlog.session_ids(conn)
        for session_id in ids:
            async with self._db.read() as conn:
                found = await event_leaves.load_with_leaves(conn, session_id)
            problem = event_leaves.leaf_problem(found) or unnamed.get(session_id)
            if problem is not None:
                self._broken[session_id] = problem
                self._log_broken(session_id, problem)
        for session_id, problem in unnamed.items():
            if session_id not in self._broken and session_id not in ids:
                self._broken[session_id] = problem
                self._log_broken(session_id, problem)
        return len(self._broken)

    def _mark_broken(self, session_id: str, reason: str) -> NoReturn:
        self._broken[session_id] = reason
        self._cache.pop(session_id, None)
        self._log_broken(session_id, reason)
        raise HubError("session_log_broken")

    @staticmethod
    def _log_broken(session_id: str, reason: str) -> None:
        log.error(
            "SESSION LOG BROKEN: session %s is not served: %s. Restore its events from a "
            "backup (docs/operations.md, integrity) and restart the hub.",
            session_id,
            reason,
        )

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
            return await self._decide_and_append(conn, session_id, loaded, command, now, effect)

    async def _decide_and_append(
        self,
        conn: AsyncConnection,
        session_id: str,
        loaded: LoadedSession,
        command: Command,
        now: datetime,
        effect: Effect | None,
    ) -> tuple[LoadedSession, list[StoredEvent]] | None:
        """Inside the caller's transaction: decide, append to the public log and to the
        session's events, run the effect."""
        try:
            events = decide(loaded.state, command, now)
        except SessionError as exc:
            raise from_session_error(exc) from exc
        if not events:
            return None
        new = [NewEvent(e.kind, iso(e.at), e.to_payload()) for e in events]
        numbered = [
            StoredEvent(session_id, loaded.seq + n, e.kind, e.at, e.payload)
            for n, e in enumerate(new, start=1)
        ]
        stored = await self._entries.append_events(conn, session_id, numbered)
        await eventlog.append(conn, stored)
        if effect is not None:
            await effect(conn, loaded.state, events)
        state = fold(loaded.state, events)
        return LoadedSession(state, stored[-1].seq), stored

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
        """Events after `after`, each checked against its leaf in the public log.

        A session this process has not loaded is loaded (and so checked whole) first.
        """
        if session_id not in self._cache:
            await self.load(session_id)
        self._refuse_broken(session_id)
        async with self._db.read() as conn:
            found = await event_leaves.load_with_leaves(conn, session_id, after=after)
        problem = event_leaves.leaf_problem(found, after=after)
        if problem is not None:
            self._mark_broken(session_id, problem)
        return [e.event for e in found]

    async def session_ids(self) -> list[str]:
        async with self._db.read() as conn:
            return await eventlog.session_ids(conn)

    def forget(self, session_id: str) -> None:
        self._cache.pop(session_id, None)
