"""Host accounts and the bearer tokens of hosts and bidders (only token hashes are stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bidopen.store.schema import hosts, tokens


@dataclass(frozen=True)
class HostAccount:
    id: int
    username: str
    password_hash: str
    organisation_id: str
    disabled_at: datetime | None


@dataclass(frozen=True)
class Principal:
    """Who a valid bearer token speaks for: role `host` or `bidder`, and the account id.

    A host's principal carries its organisation, which decides the tenders it may act on
    (bidopen.service.host_scope); a bidder's has none.
    """

    role: str
    subject: str
    organisation: str | None = None


async def add_host(
    conn: AsyncConnection,
    username: str,
    password_hash: str,
    organisation_id: str,
    now: datetime,
) -> int:
    result = await conn.execute(
        insert(hosts).values(
            username=username,
            password_hash=password_hash,
            organisation_id=organisation_id,
            created_at=now,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _host(row: Row[Any]) -> HostAccount:
    return HostAccount(
        row.id, row.username, row.password_hash, row.organisation_id, row.disabled_at
    )


async def host_by_username(conn: AsyncConnection, username: str) -> HostAccount | None:
    row = (await conn.execute(select(hosts).where(hosts.c.username == username))).first()
    return None if row is None else _host(row)


async def list_hosts(conn: AsyncConnection) -> list[HostAccount]:
    return [_host(row) for row in await conn.execute(select(hosts).order_by(hosts.c.username))]


async def update_host(conn: AsyncConnection, username: str, **values: object) -> bool:
    """Change a host's row (password_hash, disabled_at); False when there is no such host."""
    result = await conn.execute(update(hosts).where(hosts.c.username == username).values(values))
    return result.rowcount == 1


async def revoke_tokens_of(conn: AsyncConnection, role: str, subject: str, now: datetime) -> int:
    result = await conn.execute(
        update(tokens)
        .where(tokens.c.role == role, tokens.c.subject == subject, tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount


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
    """The principal of a live token; a disabled host's tokens are dead at once."""
    host_of_token = and_(tokens.c.role == "host", hosts.c.username == tokens.c.subject)
    row = (
        await conn.execute(
            select(tokens.c.role, tokens.c.subject, hosts.c.organisation_id, hosts.c.disabled_at)
            .select_from(tokens.outerjoin(hosts, host_of_token))
            .where(
                tokens.c.token_hash == token_hash,
                tokens.c.revoked_at.is_(None),
                tokens.c.expires_at > now,
            )
        )
    ).first()
    if row is None:
        return None
    if row.role == "host" and (row.organisation_id is None or row.disabled_at is not None):
        return None
    return Principal(row.role, row.subject, row.organisation_id)


async def revoke_token(conn: AsyncConnection, token_hash: str, now: datetime) -> bool:
    result = await conn.execute(
        update(tokens)
        .where(tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1
