"""Host accounts and the bearer tokens of hosts and bidders (only token hashes are stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.schema import hosts, tokens


@dataclass(frozen=True)
class HostAccount:
    id: int
    username: str
    password_hash: str


@dataclass(frozen=True)
class Principal:
    """Who a valid bearer token speaks for: role `host` or `bidder`, and the account id."""

    role: str
    subject: str


async def add_host(conn: AsyncConnection, username: str, password_hash: str, now: datetime) -> int:
    result = await conn.execute(
        insert(hosts).values(username=username, password_hash=password_hash, created_at=now)
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def host_by_username(conn: AsyncConnection, username: str) -> HostAccount | None:
    row = (await conn.execute(select(hosts).where(hosts.c.username == username))).first()
    if row is None:
        return None
    return HostAccount(row.id, row.username, row.password_hash)


async def add_token(
    conn: AsyncConnection,
    token_hash: str,
    principal: Principal,
    now: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        insert(tokens).values(
            token_hash=token_hash,
            role=principal.role,
            subject=principal.subject,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def principal_for(conn: AsyncConnection, token_hash: str, now: datetime) -> Principal | None:
    row = (
        await conn.execute(
            select(tokens.c.role, tokens.c.subject).where(
                tokens.c.token_hash == token_hash,
                tokens.c.revoked_at.is_(None),
                tokens.c.expires_at > now,
            )
        )
    ).first()
    return None if row is None else Principal(row.role, row.subject)


async def revoke_token(conn: AsyncConnection, token_hash: str, now: datetime) -> bool:
    result = await conn.execute(
        update(tokens)
        .where(tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1
