"""What an opening puts in the public log, and when (docs/transparency-log.md, "Entries").

Nothing about a tender's bids enters before its deadline: the `deadline_passed` event brings
one batch, an entry per bid received (current, replaced or withdrawn, in receipt order) and
then the event itself. Every other session event is appended as it is committed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.clock import iso
from bidopen.service.bidding import row_receipt_id
from bidopen.service.publiclog import PublicLog
from bidopen.store import bids as bid_store
from bidopen.store.documents import owned_documents
from bidopen.store.event_leaves import ENTRY_FORMAT, event_entry, sha256_hex
from bidopen.store.eventlog import StoredEvent, canonical_json

DEADLINE_KIND = "deadline_passed"


def receipt_sha256(receipt_document: str) -> str:
    """The hash a receipt is found by in the log: SHA-256 of its signed payload text."""
    return sha256_hex(json.loads(receipt_document)["payload"].encode())


def bid_entry(bid: bid_store.BidRow, receipt_hash: str) -> bytes:
    return canonical_json(
        {
            "format": ENTRY_FORMAT,
            "type": "bid",
            "session": bid.tender_id,
            "lot": bid.lot_id,
            "bidder": bid.bidder_id,
            "bid_sha256": bid.bid_sha256,
            "receipt_id": row_receipt_id(bid),
            "receipt_sha256": receipt_hash,
            "received_at": iso(bid.received_at),
            "status": bid.status,
            "ended_at": None if bid.ended_at is None else iso(bid.ended_at),
        }
    )


async def deadline_batch(conn: AsyncConnection, session_id: str) -> list[bytes]:
    """An entry per bid the tender received, in receipt order (inside the tick's transaction)."""
    receipts: dict[tuple[str, str], list[str]] = {}
    for owner, ref, body in await owned_documents(conn, session_id, "receipt"):
        receipts.setdefault((owner, ref), []).append(body)
    entries = []
    for bid in await bid_store.all_bids(conn, session_id):
        issued = receipts.get((bid.bidder_id, bid.bid_sha256)) or [""]
        body = issued.pop(0) if len(issued) > 1 else issued[0]
        entries.append(bid_entry(bid, receipt_sha256(body) if body else ""))
    return entries


async def entries_for(
    conn: AsyncConnection, session_id: str, events: Sequence[StoredEvent]
) -> tuple[list[bytes], list[int]]:
    """The log entries of new events, the deadline batch before its event, and the position
    of each event's own entry among them."""
    entries: list[bytes] = []
    positions: list[int] = []
    for event in events:
        if event.kind == DEADLINE_KIND:
            entries += await deadline_batch(conn, session_id)
        positions.append(len(entries))
        entries.append(event_entry(event))
    return entries, positions


class SessionEntries:
    """Appends a commit's events (and at the deadline, the batch) in the commit's transaction."""

    def __init__(self, public_log: PublicLog) -> None:
        self._log = public_log

    async def append_events(
        self, conn: AsyncConnection, session_id: str, events: Sequence[StoredEvent]
    ) -> list[StoredEvent]:
        """The events, each naming its leaf, before they are stored (same transaction)."""
        entries, positions = await entries_for(conn, session_id, events)
        first = await self._log.append_in(conn, entries, session_id)
        return [
            replace(event, leaf=first + position)
            for event, position in zip(events, positions, strict=True)
        ]
