"""Fixtures of the failover tests: a Redis of their own and two nodes on one PostgreSQL database."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from failover_kit import HubProcess, RedisServer, node

from hubprocess import _create_pg_database, _drop_pg_database, pg_url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def shared_database() -> Iterator[str]:
    name = asyncio.run(_create_pg_database())
    try:
        yield pg_url(name)
    finally:
        asyncio.run(_drop_pg_database(name))


@pytest.fixture
def two_nodes(
    tmp_path: Path, own_redis: RedisServer, shared_database: str
) -> Iterator[tuple[HubProcess, HubProcess]]:
    """Nodes a and b: one PostgreSQL database, one Redis, one data folder."""
    env = {
        "BIDOPEN_REDIS_URL": own_redis.url,
        "BIDOPEN_REDIS_CHANNEL": f"bidopen-test-{secrets.token_hex(4)}",
    }
    data = tmp_path / "data"
    nodes = [node(tmp_path, label, shared_database, env, data) for label in ("a", "b")]
    try:
        for hub in nodes:
            hub.start()
        yield nodes[0], nodes[1]
    finally:
        for hub in nodes:
            hub.stop()
