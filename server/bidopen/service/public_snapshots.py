"""The public snapshot of each session, built once per seq and shared by every viewer seated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bidopen.errors import HubError
from bidopen.service.sessions import LoadedSession, SessionService
from bidopen.service.views import PUBLIC
from bidopen.session import public_view
from bidopen.session.phases import Phase


@dataclass(frozen=True)
class PublicSnapshot:
    """`message` is what a viewer receives: `{"seq", "role", "view"}`.

    One dict serves every viewer seated at this seq, so nobody may change it.
    """

    seq: int
    message: dict[str, Any]


class PublicSnapshots:
    """Thousands of viewers connect between two events; all of them get the same snapshot.

    Two ways to learn the head:
    - `read` asks the database (always correct, one query per call);
    - `known` uses the state this process committed or read last (`SessionService.cached`),
      with no query. That state is never older than an event this process published, so it
      is enough for a viewer that entered the room first, when this process's rooms receive
      only its own events. With a pub/sub manager, other nodes' events reach the rooms
      without this process reading them; the namespace then calls `read`.
    """

    def __init__(self, sessions: SessionService) -> None:
        self._sessions = sessions
        self._newest: dict[str, PublicSnapshot] = {}

    def known(self, session_id: str) -> PublicSnapshot | None:
        """The snapshot at the newest seq this process holds; None if it holds none."""
        loaded = self._sessions.cached(session_id)
        return None if loaded is None else self._at(session_id, loaded)

    async def read(self, session_id: str) -> PublicSnapshot:
        """The snapshot at the head the database holds now."""
        return self._at(session_id, await self._sessions.load(session_id))

    def _at(self, session_id: str, loaded: LoadedSession) -> PublicSnapshot:
        if loaded.state.phase is Phase.UNSCHEDULED:
            raise HubError("tender_not_found")
        newest = self._newest.get(session_id)
        if newest is not None and newest.seq == loaded.seq:
            return newest
        snapshot = PublicSnapshot(
            loaded.seq, {"seq": loaded.seq, "role": PUBLIC, "view": public_view(loaded.state)}
        )
        # Only the newest seq is kept; a caller holding an older state still gets its own.
        if newest is None or newest.seq < loaded.seq:
            self._newest[session_id] = snapshot
        return snapshot
