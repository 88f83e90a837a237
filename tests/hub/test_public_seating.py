"""A public viewer seated after an event never gets a snapshot older than that event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from hubtesting import HubApi, a_host_of_an_organisation, iso, session_service
from test_two_nodes import two_nodes  # noqa: F401 - the fixture of two nodes on one PostgreSQL

from bidopen.clock import SystemClock
from bidopen.service.opening import Opening
from bidopen.service.signing import ServerSigner
from bidopen.service.tenders import Tenders, parse_draft
from bidopen.session import commands as c
from bidopen.session.values import Actor, Role
from bidopen.store import eventlog
from bidopen.store.db import Database
from bidopen.wire.bodies import CreateTender
from bidopen.wire.decoding import decode_body
from hubprocess import HubProcess

WAIT_S = 20.0


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


@dataclass
class Viewer:
    """A `/public` socket and what it was sent: its first snapshot, then events."""

    client: socketio.AsyncClient
    snapshot: asyncio.Future[dict[str, Any]]
    events: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def take(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self.arrived.set()

    async def wait_for_seq(self, seq: int) -> None:
        """Wait for the hub to send this event (a hang fails the test by its timeout)."""
        async with asyncio.timeout(WAIT_S):
            while not any(e["seq"] >= seq for e in self.events):
                self.arrived.clear()
                await self.arrived.wait()


@asynccontextmanager
async def seated(base_url: str, session_id: str) -> AsyncIterator[Viewer]:
    viewer = Viewer(socketio.AsyncClient(), asyncio.get_running_loop().create_future())

    def on_snapshot(data: dict[str, Any]) -> None:
        if not viewer.snapshot.done():
            viewer.snapshot.set_result(data)

    viewer.client.on("snapshot", on_snapshot, namespace="/public")
    viewer.client.on("event", viewer.take, namespace="/public")
    await viewer.client.connect(
        base_url, namespaces=["/public"], auth={"session_id": session_id}, transports=["websocket"]
    )
    try:
        await asyncio.wait_for(asyncio.shield(viewer.snapshot), WAIT_S)
        yield viewer
    finally:
        await viewer.client.disconnect()


async def seated_at(base_url: str, session_id: str) -> int:
    """Seat a newcomer and give the seq of its snapshot."""
    async with seated(base_url, session_id) as newcomer:
        return int(newcomer.snapshot.result()["seq"])


async def scheduled(api: HubApi, hub: HubProcess) -> str:
    """Sign the host in and schedule a tender an hour away; its id."""
    await api.login_host(hub.host_user, hub.host_password)
    return str((await api.create_tender(deadline_in=3600))["id"])


def later(hours: int) -> str:
    return iso(datetime.now(UTC) + timedelta(hours=hours))


async def drive(
    api: HubApi, session_id: str, watcher: Viewer, seat: Callable[[], Awaitable[int]]
) -> None:
    """Publish events one by one; after each has reached `watcher`, seat a newcomer."""
    steps: list[tuple[str, dict[str, Any]]] = [
        ("reschedule", {"deadline": later(hours), "reason": f"补遗第{hours}号"})
        for hours in (2, 3, 4)
    ]
    steps.append(("abort", {"reason": "招标文件需要修改"}))
    for command, body in steps:
        _, answer = await api.host(session_id, command, body)
        published = max(e["seq"] for e in answer["events"])
        await watcher.wait_for_seq(published)
        assert await seat() >= published, f"seated at an older seq than {command}'s event"


async def test_a_viewer_seated_after_an_event_gets_a_snapshot_that_holds_it(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    tid = await scheduled(api, hub_process)
    async with seated(hub_process.base_url, tid) as watcher:
        assert watcher.snapshot.result()["seq"] == 1
        await drive(api, tid, watcher, lambda: seated_at(hub_process.base_url, tid))


async def test_the_shared_snapshot_is_the_public_view(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    """Seated from memory or read over REST, the public gets the same redacted view."""
    api = HubApi(hub_client)
    tid = await scheduled(api, hub_process)
    async with (
        seated(hub_process.base_url, tid) as first,
        seated(hub_process.base_url, tid) as second,
    ):
        rest = await api.snapshot(tid)
        assert first.snapshot.result() == second.snapshot.result() == rest
        assert rest["role"] == "public"


async def test_a_slow_reader_does_not_move_the_known_head_back(tmp_path: Path) -> None:
    """A read that began before a commit finishes after it: seating must still see the commit."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    await db.create_schema()
    clock = SystemClock()
    sessions = session_service(db, clock, tmp_path)
    opening = Opening(db, clock, sessions, ServerSigner.open(tmp_path))
    body = {"title": "某某道路改造工程施工", "lots": [{"id": "1", "name": "标段1"}]}
    raw = json.dumps({**body, "deadline": later(1)}).encode()
    draft = parse_draft(decode_body(raw, CreateTender), clock.now())
    tid = await Tenders(db, clock, sessions).create(await a_host_of_an_organisation(db), draft)
    host = Actor(role=Role.HOST, id="org-1")
    try:
        async with db.read() as slow:
            # The first read fixes this transaction's view of the log (SQLite WAL).
            assert await eventlog.last_seq(slow, tid) == 1
            await sessions.execute(tid, c.Abort(actor=host, reason="招标文件需要修改"))
            assert (await sessions.load_in(slow, tid)).seq == 1
        known = opening.public_snapshots.known(tid)
        assert known is not None and known.seq == 2
        assert (await opening.public_snapshots.read(tid)).seq == 2
    finally:
        await db.close()


@pytest.mark.postgres
async def test_a_node_seats_after_events_another_node_published(
    two_nodes: tuple[HubProcess, HubProcess],  # noqa: F811 - the fixture imported above
) -> None:
    """Node b learns of a's commits only through Redis: it must not seat from its own memory."""
    a, b = two_nodes
    async with aiohttp.ClientSession(base_url=a.base_url) as http_a:
        api = HubApi(http_a)
        tid = await scheduled(api, a)
        # The watcher's connect makes b read the session, so b holds it at seq 1.
        async with seated(b.base_url, tid) as watcher:
            await drive(api, tid, watcher, lambda: seated_at(b.base_url, tid))
