"""What this node has written to each session room, so that no event goes out to it twice.

With Redis, an event reaches a node's rooms by pub/sub; while Redis is down it does not,
and when it comes back the node writes what its rooms missed from the log
(`RealtimeHub.catch_up_rooms`). An event can then arrive both ways, and Redis may deliver
the commits of two nodes out of seq order, so the mark is a set of seqs above a floor
rather than one number: a late lower seq is still written, a repeated one is not.
"""

from __future__ import annotations

from typing import Any

from bidopen.realtime.frames import EventBatch

RoomKey = tuple[str, str]  # (namespace, session id)


class RoomHeads:
    """Per room: every seq at or below `floor` was written (or predates its first viewer)."""

    def __init__(self) -> None:
        self._floor: dict[RoomKey, int] = {}
        self._above: dict[RoomKey, set[int]] = {}

    def joined(self, namespace: str, room: str, snapshot_seq: int) -> None:
        """A viewer joined with a snapshot at this seq; the first one sets the room's floor.

        Later viewers' snapshots do not move it: a room whose older viewers missed events
        must still be caught up to the head, and the newer viewer drops what it has.
        """
        self._floor.setdefault((namespace, room), snapshot_seq)

    def floor(self, namespace: str, room: str) -> int | None:
        return self._floor.get((namespace, room))

    def rooms(self) -> list[RoomKey]:
        return list(self._floor)

    def forget(self, namespace: str, room: str) -> None:
        self._floor.pop((namespace, room), None)
        self._above.pop((namespace, room), None)

    def admit(self, namespace: str, room: str, batch: EventBatch) -> EventBatch | None:
        """The payloads of `batch` not yet written to the room (None when there are none)."""
        key = (namespace, room)
        floor = self._floor.get(key)
        if floor is None:
            # No viewer joined through this node since it started: nothing to compare with.
            self._floor[key] = max((_seq(p) or 0 for p in batch.payloads), default=0)
            return batch
        above = self._above.setdefault(key, set())
        fresh: list[Any] = []
        for payload in batch.payloads:
            seq = _seq(payload)
            if seq is None:
                fresh.append(payload)
            elif seq > floor and seq not in above:
                above.add(seq)
                fresh.append(payload)
        while floor + 1 in above:
            floor += 1
            above.discard(floor)
        self._floor[key] = floor
        return EventBatch(tuple(fresh)) if fresh else None


def _seq(payload: Any) -> int | None:
    seq = payload.get("seq") if isinstance(payload, dict) else None
    return seq if isinstance(seq, int) else None
