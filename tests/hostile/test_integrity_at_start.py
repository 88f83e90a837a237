"""What the hub finds at start is checked before it serves: lost parts and edits are refused."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hubtesting import HubApi, seal_bid
from sqlalchemy import delete, select, update
from starting import refused_start
from witnessprocess import WitnessProcess, running_witnesses

from bidopen.service.publiclog import load_log_signer
from bidopen.store.db import Database
from bidopen.store.schema import (
    log_checkpoints,
    log_entries,
    log_hashes,
    log_head,
    node_heartbeats,
    session_events,
)
from bidopen.tlog.cosignature import cosignature_verifier
from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import leaf_hash, tree_root
from bidopen.tlog.policy import LogPolicy
from bidseal import verify_document
from bidseal.codec import b64u_decode
from hubprocess import HubProcess, fresh_database, running_hub

LOG_NAME = "kaibiao.example.cn/log"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    """A hub on SQLite that the test stops, damages and starts again."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    process = HubProcess(
        data_dir, f"sqlite+aiosqlite:///{data_dir / 'bidopen.db'}", tmp_path / "hub.log"
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def with_a_bid(hub: HubProcess) -> dict[str, Any]:
    """A tender, a bidder with a receipt, and a rescheduled deadline (two events in the log)."""
    async with aiohttp.ClientSession(base_url=hub.base_url) as http:
        api = HubApi(http)
        await api.login_host(hub.host_user, hub.host_password)
        tender = (await api.create_tender())["id"]
        other = (await api.create_tender())["id"]
        bidder = await api.register("甲公司")
        sealed = seal_bid(bidder, tender, "1", {"price": "1.00"})
        _, body = await api.upload(bidder, tender, "1", sealed)
        _, key = await api.call("GET", "/api/server-key", expect=200)
        later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        await api.host(tender, "reschedule", {"deadline": later, "reason": "补遗"})
        return {
            "tender": tender,
            "other": other,
            "bidder": bidder,
            "receipt": body["receipt"],
            "key": key,
        }


def sql(hub: HubProcess, statement: str, *args: object) -> None:
    with sqlite3.connect(hub.data_dir / "bidopen.db") as db:
        db.execute(statement, args)


async def status_of(hub: HubProcess, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession(base_url=hub.base_url) as http:
        return await HubApi(http).call("GET", path)


def test_a_lost_database_beside_sealed_files_and_keys_refuses_to_start(hub: HubProcess) -> None:
    asyncio.run(with_a_bid(hub))
    hub.stop()
    for name in ("bidopen.db-wal", "bidopen.db-shm"):
        (hub.data_dir / name).unlink(missing_ok=True)
    (hub.data_dir / "bidopen.db").write_bytes(b"")
    line = refused_start(hub)
    assert "1 sealed files" in line and "server-key.pem" in line and "new or empty" in line
    with sqlite3.connect(hub.data_dir / "bidopen.db") as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [], "the refusal created tables"


def test_keys_without_bids_beside_a_new_database_refuse_too(hub: HubProcess) -> None:
    hub.stop()
    (hub.data_dir / "bidopen.db").unlink()
    for name in ("bidopen.db-wal", "bidopen.db-shm"):
        (hub.data_dir / name).unlink(missing_ok=True)
    line = refused_start(hub)
    assert "archive-key.json" in line and "sealed files" not in line


def test_a_missing_server_key_is_refused_never_replaced(hub: HubProcess) -> None:
    asyncio.run(with_a_bid(hub))
    hub.stop()
    key_file = hub.data_dir / "server-key.pem"
    kept = key_file.read_bytes()
    key_file.unlink()
    line = refused_start(hub)
    assert "server-key.pem is missing" in line
    assert not key_file.exists()
    # Another key in its place is refused as well: it did not sign the documents.
    from bidseal import ServerKey

    ServerKey.generate().save(key_file)
    assert "does not verify" in refused_start(hub)
    key_file.unlink()
    key_file.write_bytes(kept)
    hub.start()


def test_rotation_keeps_serving_the_old_public_key(hub: HubProcess) -> None:
    import subprocess
    import sys

    before = asyncio.run(with_a_bid(hub))
    hub.stop()
    done = subprocess.run(
        [sys.executable, "-m", "bidopen", "server-key", "rotate", "--data-dir", str(hub.data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    old_id = before["key"]["key_id"]
    assert f"retired {old_id}" in done.stdout
    hub.start()
    _, current = asyncio.run(status_of(hub, "/api/server-key"))
    assert current["key_id"] != old_id
    status, old = asyncio.run(status_of(hub, f"/api/server-key/{old_id}"))
    assert status == 200 and old["key"] == before["key"]["key"] and old["retired_at"]
    receipt = verify_document(before["receipt"], "receipt", b64u_decode(old["key"]))
    assert receipt["bidder"] == before["bidder"].id
    assert asyncio.run(status_of(hub, "/api/server-key/0000"))[0] == 404


def test_an_edited_event_is_refused_and_other_sessions_are_served(hub: HubProcess) -> None:
    made = asyncio.run(with_a_bid(hub))
    hub.stop()
    sql(
        hub,
        "UPDATE session_events SET payload = replace(payload, '补遗', '改过') "
        "WHERE session_id = ? AND seq = 2",
        made["tender"],
    )
    hub.start()
    status, body = asyncio.run(status_of(hub, f"/api/sessions/{made['tender']}"))
    assert status == 503 and body["error"]["code"] == "session_log_broken"
    status, body = asyncio.run(status_of(hub, f"/api/sessions/{made['tender']}/events"))
    assert status == 503, "the edited event was served"
    assert asyncio.run(status_of(hub, f"/api/sessions/{made['other']}"))[0] == 200
    log = hub.log_text()
    assert f"SESSION LOG BROKEN: session {made['tender']}" in log
    assert "seq 2: content does not match its leaf" in log


def test_deleting_the_newest_events_is_caught_by_their_leaves(hub: HubProcess) -> None:
    made = asyncio.run(with_a_bid(hub))
    hub.stop()
    # A shorter log is still gap-free: the public log's entries of the session show it.
    sql(hub, "DELETE FROM session_events WHERE session_id = ? AND seq = 2", made["tender"])
    hub.start()
    status, body = asyncio.run(status_of(hub, f"/api/sessions/{made['tender']}"))
    assert status == 503 and body["error"]["code"] == "session_log_broken"
    assert "is seq 2 of the session, which the database no longer holds" in hub.log_text()
    assert asyncio.run(status_of(hub, f"/api/sessions/{made['other']}"))[0] == 200


def test_deleting_the_newest_events_with_their_leaves_refuses_to_start(hub: HubProcess) -> None:
    """The newest rows of the session and of the public log, its checkpoints and head made
    to agree: the database holds a valid log, but not the one the data folder saw."""
    made = asyncio.run(with_a_bid(hub))
    for _ in range(50):  # the reschedule's leaf is covered by a checkpoint within a second
        kept = (hub.data_dir / "log-checkpoint").read_bytes().split(b"\n")
        with sqlite3.connect(hub.data_dir / "bidopen.db") as db:
            (leaf,) = db.execute(
                "SELECT leaf FROM session_events WHERE session_id = ? AND seq = 2",
                (made["tender"],),
            ).fetchone()
        if int(kept[1]) > leaf:
            break
        time.sleep(0.1)
    # Anyone may keep a copy of the checkpoint: the bundle carries it, with every proof.
    _, bundle = asyncio.run(status_of(hub, f"/api/sessions/{made['tender']}/bundle"))
    hub.stop()
    assert asyncio.run(cut_the_log(hub.database_url, made["tender"], 2)) == leaf
    line = refused_start(hub)
    assert "checkpoint kept in log-checkpoint is at size" in line and "deleted" in line
    assert int(bundle["log"]["checkpoint"].split("\n")[1]) > leaf


async def cut_the_log(url: str, session_id: str, seq: int) -> int:
    """Delete a session's events from `seq` on with every log row from the first one's leaf,
    checkpoints too, and make the head agree: a valid shorter log. The new size."""
    db = Database(url)
    try:
        async with db.write() as conn:
            leaf = (
                await conn.execute(
                    select(session_events.c.leaf).where(
                        session_events.c.session_id == session_id, session_events.c.seq == seq
                    )
                )
            ).scalar_one()
            await conn.execute(
                delete(session_events).where(
                    session_events.c.session_id == session_id, session_events.c.seq >= seq
                )
            )
            await conn.execute(delete(log_entries).where(log_entries.c.idx >= leaf))
            # The logs of these tests fill less than one tile: level 0 holds every hash.
            await conn.execute(
                delete(log_hashes).where(log_hashes.c.level == 0, log_hashes.c.idx >= leaf)
            )
            await conn.execute(delete(log_checkpoints).where(log_checkpoints.c.size > leaf))
            kept = await conn.execute(select(log_entries.c.data).order_by(log_entries.c.idx))
            root = tree_root([leaf_hash(bytes(data)) for data in kept.scalars()])
            await conn.execute(update(log_head).values(size=leaf, root=root))
    finally:
        await db.close()
    return int(leaf)


async def rewrite_the_newest_entry(url: str) -> int:
    """Another last entry in place of the newest, its hash and the head to match, and the
    checkpoints that covered it gone: a log of the same size with another root. Its size."""
    db = Database(url)
    try:
        async with db.write() as conn:
            size = (await conn.execute(select(log_head.c.size))).scalar_one()
            other = b'{"format":"bidopen-log-entry/1","rewritten":true}'
            last = log_entries.c.idx == size - 1
            await conn.execute(update(log_entries).where(last).values(data=other))
            await conn.execute(
                update(log_hashes)
                .where(log_hashes.c.level == 0, log_hashes.c.idx == size - 1)
                .values(hash=leaf_hash(other))
            )
            await conn.execute(delete(log_checkpoints).where(log_checkpoints.c.size >= size))
            kept = await conn.execute(select(log_entries.c.data).order_by(log_entries.c.idx))
            root = tree_root([leaf_hash(bytes(data)) for data in kept.scalars()])
            await conn.execute(update(log_head).values(root=root))
    finally:
        await db.close()
    return int(size)


async def what_a_start_writes(url: str) -> tuple[object, ...]:
    """The rows a start writes first: the log's head, checkpoints and entries, heartbeats."""
    db = Database(url)
    try:
        async with db.read() as conn:
            found = []
            for table in (log_head, log_checkpoints, log_entries, node_heartbeats):
                found.append(tuple(tuple(row) for row in (await conn.execute(select(table)))))
            return tuple(found)
    finally:
        await db.close()


@dataclass
class Witnessed:
    """A hub whose log two `bidopen witness` processes cosign (both needed: quorum 2)."""

    hub: HubProcess
    witnesses: list[WitnessProcess]
    policy: LogPolicy

    def size_seen_by(self, witness: WitnessProcess) -> int:
        """The size the witness last cosigned, from its own state."""
        path = witness.folder / "witness.db"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            (size,) = db.execute("SELECT size FROM heads WHERE origin = ?", (LOG_NAME,)).fetchone()
        return int(size)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def witnessed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Witnessed]:
    data = tmp_path / "data"
    data.mkdir()
    # The log's key is made before the hub starts, so the witnesses can be told it.
    signer = load_log_signer(data / "log-key.pem", LOG_NAME)
    with (
        running_witnesses(tmp_path, signer.verifier.vkey) as started,
        fresh_database(request.param, tmp_path) as url,
    ):
        env = {
            "BIDOPEN_PUBLIC_LOG_NAME": LOG_NAME,
            "BIDOPEN_PUBLIC_LOG_CHECKPOINT_MS": "100",
            "BIDOPEN_PUBLIC_LOG_WITNESSES": ",".join(f"{p.url} {v}" for p, v in started),
            "BIDOPEN_PUBLIC_LOG_WITNESS_QUORUM": "2",
        }
        cosigners = tuple(cosignature_verifier(v) for _p, v in started)
        with running_hub(url, tmp_path, env) as hub:
            yield Witnessed(hub, [p for p, _v in started], LogPolicy(signer.verifier, cosigners, 2))


async def cosigned_to_the_head(witnessed: Witnessed) -> int:
    """Wait until both witnesses have cosigned the whole stored log; its size."""
    db = Database(witnessed.hub.database_url)
    try:
        async with aiohttp.ClientSession(base_url=witnessed.hub.base_url) as http:
            for _ in range(200):
                async with db.read() as conn:
                    size = (await conn.execute(select(log_head.c.size))).scalar_one()
                async with http.get("/log/checkpoint") as answer:
                    note = await answer.read()
                try:
                    if witnessed.policy.open_checkpoint(note)[0].size == size:
                        return int(size)
                except LogError:
                    pass  # not cosigned yet
                await asyncio.sleep(0.1)
    finally:
        await db.close()
    raise AssertionError("the witnesses never cosigned the stored log")


_REFUSAL = re.compile(
    r"public log: witness (\S+) \((\S+)\) has cosigned this log at size (\d+) "
    r"but the stored log ends at size (\d+): its newest entries were deleted"
)


def test_a_log_cut_back_with_its_kept_checkpoint_is_refused_by_the_witnesses(
    witnessed: Witnessed,
) -> None:
    """The newest rows and `log-checkpoint` deleted together: the database and the data
    folder agree on a shorter log, but the witnesses saw the longer one."""
    hub = witnessed.hub
    made = asyncio.run(with_a_bid(hub))
    asyncio.run(cosigned_to_the_head(witnessed))
    hub.stop()
    first, second = witnessed.witnesses
    seen = [witnessed.size_seen_by(first), witnessed.size_seen_by(second)]
    (hub.data_dir / "log-checkpoint").unlink()
    size = asyncio.run(cut_the_log(hub.database_url, made["tender"], 2))
    assert size < min(seen)
    rows = asyncio.run(what_a_start_writes(hub.database_url))

    found = _REFUSAL.search(refused_start(hub))
    assert found is not None
    assert found.groups() == (first.name, first.url, str(seen[0]), str(size))
    assert asyncio.run(what_a_start_writes(hub.database_url)) == rows
    assert not (hub.data_dir / "log-checkpoint").exists()

    # One witness down: the other one still proves it.
    first.stop()
    found = _REFUSAL.search(refused_start(hub))
    assert found is not None
    assert found.groups() == (second.name, second.url, str(seen[1]), str(size))
    assert asyncio.run(what_a_start_writes(hub.database_url)) == rows

    # Both down: nobody proves it, and a witness being down does not stop the platform.
    second.stop()
    hub.start()
    warned = [line for line in hub.log_text().splitlines() if "could not be asked" in line]
    assert [w.name for w in (first, second) if any(w.name in line for line in warned)] == [
        first.name,
        second.name,
    ]
    assert all("WARNING" in line for line in warned)


def test_a_rewritten_newest_entry_is_refused_by_the_witnesses(witnessed: Witnessed) -> None:
    """A tree of the size the witnesses cosigned, with another root."""
    hub = witnessed.hub
    asyncio.run(with_a_bid(hub))
    asyncio.run(cosigned_to_the_head(witnessed))
    hub.stop()
    (hub.data_dir / "log-checkpoint").unlink()
    size = asyncio.run(rewrite_the_newest_entry(hub.database_url))
    assert witnessed.size_seen_by(witnessed.witnesses[0]) == size
    line = refused_start(hub)
    assert f"has cosigned another tree of size {size} than the stored log's" in line
    assert "its history was rewritten" in line


def test_an_untouched_log_starts_with_its_witnesses(witnessed: Witnessed) -> None:
    hub = witnessed.hub
    made = asyncio.run(with_a_bid(hub))
    size = asyncio.run(cosigned_to_the_head(witnessed))
    hub.stop()
    hub.start()
    assert "could not be asked" not in hub.log_text()
    assert asyncio.run(status_of(hub, f"/api/sessions/{made['tender']}"))[0] == 200
    # The witnesses stay where they were, and cosign what comes next.
    assert [witnessed.size_seen_by(w) for w in witnessed.witnesses] == [size, size]
    asyncio.run(with_a_bid(hub))
    assert asyncio.run(cosigned_to_the_head(witnessed)) > size


def test_the_signed_log_head_is_replaced_by_the_bundle(hub: HubProcess) -> None:
    made = asyncio.run(with_a_bid(hub))

    async def follow() -> tuple[int, str]:
        async with aiohttp.ClientSession(base_url=hub.base_url) as http:
            path = f"/api/sessions/{made['tender']}/log-head"
            async with http.get(path, allow_redirects=False) as answer:
                return answer.status, answer.headers["Location"]

    assert asyncio.run(follow()) == (308, f"/api/sessions/{made['tender']}/bundle")


def test_a_read_only_database_is_one_line(hub: HubProcess) -> None:
    hub.stop()
    database = hub.data_dir / "bidopen.db"
    database.chmod(0o444)
    try:
        # Without CAP_DAC_OVERRIDE root obeys file modes, as the hub's own user would.
        line = refused_start(hub, ("setpriv", "--bounding-set=-dac_override"))
    finally:
        database.chmod(0o644)
    assert "cannot be used" in line and "readonly" in line.replace("-", "").replace(" ", "")


def test_a_file_stored_without_its_row_is_set_aside_at_start(hub: HubProcess) -> None:
    """kill -9 after the sealed file's rename, before its row's commit: set aside, no names."""
    asyncio.run(_kill_between_rename_and_commit(hub))
    hub.start()
    bids = hub.data_dir / "bids"
    kept = [p.relative_to(bids).as_posix() for p in bids.rglob("*.bid")]
    assert len(kept) == 1 and kept[0].startswith(".unclaimed/"), kept
    moved = [line for line in hub.log_text().splitlines() if "no bid row names" in line]
    assert len(moved) == 1 and "moved 1 sealed files" in moved[0]
    for secret in (hub.extra_env["CANARY_TENDER"], hub.extra_env["CANARY_BIDDER"], "甲公司"):
        assert secret not in moved[0]
    # The hub serves, and the bidder has no bid: it never had a receipt.
    status, _ = asyncio.run(status_of(hub, f"/api/tenders/{hub.extra_env['CANARY_TENDER']}"))
    assert status == 200


async def _kill_between_rename_and_commit(hub: HubProcess) -> None:
    async with aiohttp.ClientSession(base_url=hub.base_url) as http:
        api = HubApi(http)
        await api.login_host(hub.host_user, hub.host_password)
        tender = (await api.create_tender())["id"]
        bidder = await api.register("甲公司")
        hub.extra_env.update(CANARY_TENDER=tender, CANARY_BIDDER=bidder.id)
        sealed = seal_bid(bidder, tender, "1", {"price": "1.00"})
        # Another writer holds SQLite's write lock: the upload stores its file, then waits
        # for the lock to commit its row, and is killed there.
        blocker = sqlite3.connect(hub.data_dir / "bidopen.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        upload = asyncio.create_task(api.upload(bidder, tender, "1", sealed))
        bids = hub.data_dir / "bids"
        for _ in range(200):
            if [p for p in bids.rglob("*.bid") if ".incoming" not in p.parts]:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the sealed file was never renamed into place")
        hub.kill()
        blocker.execute("ROLLBACK")
        blocker.close()
        upload.cancel()


def test_a_first_start_on_an_unreachable_database_leaves_no_key(tmp_path: Path) -> None:
    """One line for a database that cannot be reached, and no key made for a later refusal."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    hub = HubProcess(
        data_dir, "postgresql+asyncpg://postgres:secret@127.0.0.1:1/bidopen", tmp_path / "hub.log"
    )
    line = refused_start(hub)
    assert "cannot be used" in line and "secret" not in line
    assert sorted(p.name for p in data_dir.iterdir()) == []


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_new_postgresql_database_beside_sealed_files_refuses_to_start(
    hub_process: HubProcess,
) -> None:
    """The same on PostgreSQL: the data folder of one database, started on a new one."""
    from hubprocess import _create_pg_database, _drop_pg_database, pg_url

    asyncio.run(with_a_bid(hub_process))
    hub_process.stop()
    name = asyncio.run(_create_pg_database())
    try:
        hub_process.database_url = pg_url(name)
        line = refused_start(hub_process)
        assert "1 sealed files" in line and "new or empty" in line
    finally:
        asyncio.run(_drop_pg_database(name))


def test_an_event_edited_while_the_hub_runs_is_not_served(hub: HubProcess) -> None:
    made = asyncio.run(with_a_bid(hub))
    path = f"/api/sessions/{made['tender']}/events"
    assert asyncio.run(status_of(hub, path))[0] == 200  # loaded and cached: verified once
    sql(
        hub,
        "UPDATE session_events SET payload = replace(payload, '补遗', '改过') "
        "WHERE session_id = ? AND seq = 2",
        made["tender"],
    )
    status, body = asyncio.run(status_of(hub, path))
    assert status == 503 and body["error"]["code"] == "session_log_broken"
    assert asyncio.run(status_of(hub, f"/api/sessions/{made['tender']}"))[0] == 503
    assert "SESSION LOG BROKEN" in hub.log_text()
