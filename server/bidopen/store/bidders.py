"""Registered bidders and their single-use login challenges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.session.text import look_alike_key
from bidopen.store.schema import bidders, challenge_audiences, challenges


@dataclass(frozen=True)
class BidderAccount:
    """A bidder as registered: public keys are base64url P-256 points (sealed-bid format 1.1)."""

    id: str
    org_name: str
    contact: str
    encryption_key: str
    signing_key: str
    key_id: str


async def add_bidder(conn: AsyncConnection, bidder: BidderAccount, now: datetime) -> None:
    await conn.execute(
        insert(bidders).values(
            id=bidder.id,
            org_name=bidder.org_name,
            contact=bidder.contact,
            encryption_key=bidder.encryption_key,
            signing_key=bidder.signing_key,
            key_id=bidder.key_id,
            created_at=now,
            name_key=look_alike_key(bidder.org_name),
        )
    )


async def name_looking_like(conn: AsyncConnection, org_name: str) -> str | None:
    """A registered name that looks like `org_name` but is not it; None when there is none.

    The same name again is allowed (a company registering new keys); one that differs only
    in what the eye cannot tell apart is not.
    """
    row = (
        await conn.execute(
            select(bidders.c.org_name)
            .where(bidders.c.name_key == look_alike_key(org_name), bidders.c.org_name != org_name)
            .limit(1)
        )
    ).first()
    return None if row is None else str(row.org_name)


def _bidder(row: Row[Any]) -> BidderAccount:
    return BidderAccount(
        row.id, row.org_name, row.contact, row.encryption_key, row.signing_key, row.key_id
    )


async def get_bidder(conn: AsyncConnection, bidder_id: str) -> BidderAccount | None:
    row = (await conn.execute(select(bidders).where(bidders.c.id == bidder_id))).first()
    return None if row is None else _bidder(row)


async def bidder_by_key_id(conn: AsyncConnection, key_id: str) -> BidderAccount | None:
    row = (await conn.execute(select(bidders).where(bidders.c.key_id == key_id))).first()
    return None if row is None else _bidder(row)


async def bidder_names(conn: AsyncConnection, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await conn.execute(select(bidders.c.id, bidders.c.org_name).where(bidders.c.id.in_(ids)))
    return {row.id: row.org_name for row in rows}


async def add_challenge(
    conn: AsyncConnection, challenge: str, bidder_id: str, expires_at: datetime, audience: str
) -> None:
    await conn.execute(
        insert(challenges).values(challenge=challenge, bidder_id=bidder_id, expires_at=expires_at)
    )
    await conn.execute(insert(challenge_audiences).values(challenge=challenge, audience=audience))


async def challenge_audience(conn: AsyncConnection, challenge: str, bidder_id: str) -> str | None:
    """The audience `challenge` was issued with to `bidder_id`; None if there is no such pair."""
    row = (
        await conn.execute(
            select(challenge_audiences.c.audience)
            .join(challenges, challenges.c.challenge == challenge_audiences.c.challenge)
            .where(challenges.c.challenge == challenge, challenges.c.bidder_id == bidder_id)
        )
    ).first()
    return None if row is None else str(row.audience)


async def use_challenge(
    conn: AsyncConnection, challenge: str, bidder_id: str, now: datetime
) -> bool:
    """Spend a challenge; False when it is unknown, someone else's, expired or already spent."""
    result = await conn.execute(
        update(challenges)
        .where(
            challenges.c.challenge == challenge,
            challenges.c.bidder_id == bidder_id,
            challenges.c.used_at.is_(None),
            challenges.c.expires_at > now,
        )
        .values(used_at=now)
    )
    return result.rowcount == 1
