"""The garbage collector waits while a session change commits and is published."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hubtesting import a_host_of_an_organisation, session_service

from bidopen.clock import SystemClock
from bidopen.service import collector
from bidopen.service.collector import collector_held
from bidopen.service.sessions import SessionService
from bidopen.service.tenders import TenderDraft, Tenders
from bidopen.session.commands import Reschedule
from bidopen.session.state import OpeningSession
from bidopen.session.values import Actor, Lot, ReadoutItem, Role
from bidopen.store.db import Database
from bidopen.store.eventlog import StoredEvent


@pytest.fixture(autouse=True)
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    assert collector.holders() == 0
    if not was:
        gc.disable()


def test_nested_holders_keep_it_off_until_the_last_leaves() -> None:
    with collector_held():
        assert not gc.isenabled()
        with collector_held():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_held():
        pass
    assert not gc.isenabled()


def test_an_error_inside_still_lets_it_run_again() -> None:
    with pytest.raises(RuntimeError), collector_held():
        raise RuntimeError("command failed")
    assert gc.isenabled()


def test_a_burst_without_gaps_holds_it_no_longer_than_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outer = collector_held()
    outer.__enter__()
    monkeypatch.setattr(collector, "MAX_HELD_S", 0.0)
    with collector_held():
        pass
    # The burst goes on (the outer holder), but the collector runs again.
    assert gc.isenabled()
    outer.__exit__(None, None, None)
    assert gc.isenabled()


class Witness:
    """A publisher that notes whether the collector could run while it published."""

    def __init__(self) -> None:
        self.enabled_while_publishing: list[bool] = []

    async def publish(
        self, session_id: str, events: Sequence[StoredEvent], state: OpeningSession
    ) -> None:
        self.enabled_while_publishing.append(gc.isenabled())


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionService]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'bidopen.db'}")
    await database.create_schema()
    yield session_service(database, SystemClock(), tmp_path)
    await database.close()


async def test_a_session_change_is_published_with_the_collector_held(
    sessions: SessionService,
) -> None:
    witness = Witness()
    sessions.add_publisher(witness)
    deadline = datetime.now(UTC) + timedelta(days=2)
    draft = TenderDraft(
        title="回收 collector",
        lots=(Lot(id="1", name="标段一"),),
        deadline=deadline,
        signin_opens_at=deadline - timedelta(hours=1),
        decryption_seconds=30 * 60,
        confirmation_seconds=15 * 60,
        readout_items=(ReadoutItem(key="price", label_zh="投标报价", label_en="Price"),),
    )
    host = await a_host_of_an_organisation(sessions._db)
    code = await Tenders(sessions._db, SystemClock(), sessions).create(host, draft)
    events = await sessions.execute(
        code,
        Reschedule(
            actor=Actor(role=Role.HOST, id="org-1"),
            deadline=deadline + timedelta(days=1),
            reason="答疑延期",
        ),
    )

    assert [e.kind for e in events] == ["session_rescheduled"]
    assert witness.enabled_while_publishing == [False, False]
    assert gc.isenabled()
