"""The public log on SQLite and PostgreSQL: appends, checkpoints, tiles, proofs, one writer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from tlog_kit import entries, memory_subtrees

from bidopen.clock import SystemClock
from bidopen.errors import StartRefused
from bidopen.service.kept_checkpoint import CHECKPOINT_FILE, KeptCheckpoint
from bidopen.service.publiclog import PublicLog, load_log_signer, log_key_file
from bidopen.store.db import Database
from bidopen.store.schema import log_checkpoints, log_entries, log_hashes, log_head
from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import root_at, verify_consistency
from bidopen.tlog.note import Ed25519Signer, SignedNote
from bidopen.tlog.tiles import Tile, decode_bundle, decode_tile, tiles_of_tree

ORIGIN = "kaibiao.example.cn/log"


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    (tmp_path / "data").mkdir(exist_ok=True)
    database = Database(database_url)
    await database.create_schema()
    yield database
    await database.close()


def _log(db: Database, tmp_path: Path, interval: float = 3600) -> PublicLog:
    signer = load_log_signer(tmp_path / "data" / "log-key.pem", ORIGIN)
    return PublicLog(db, SystemClock(), signer, checkpoint_interval=interval)


def _open(log: PublicLog, note: bytes | None) -> Checkpoint:
    assert note is not None
    checkpoint, _note, _n = log.policy.open_checkpoint(note)
    return checkpoint


async def test_appends_checkpoints_tiles_and_proofs(db: Database, tmp_path: Path) -> None:
    log = _log(db, tmp_path)
    await log.start()
    try:
        empty = _open(log, await log.checkpoint())
        assert empty.size == 0
        items = entries(600)
        assert await log.append(items[:1]) == 0
        assert await log.append(items[1:300]) == 1
        assert await log.append(items[300:]) == 300
        # Nothing past the newest checkpoint is served until a checkpoint covers it.
        assert await log.tile(Tile(0, 0, 1)) is None
        await log.sign_checkpoint()
        checkpoint = _open(log, await log.checkpoint())
        assert checkpoint.size == 600
        assert checkpoint.root == root_at(memory_subtrees(items), 600)

        for tile in tiles_of_tree(600):
            data = await log.tile(tile)
            assert data is not None and len(decode_tile(data)) == tile.width
        bundle = await log.tile(Tile(0, 2, 600 - 512, entries=True))
        assert bundle is not None and decode_bundle(bundle) == items[512:]
        assert await log.tile(Tile(0, 2, 89, entries=True)) is None  # beyond the checkpoint

        proof = await log.proof(417)
        assert proof.verify(items[417], log.policy).size == 600
        with pytest.raises(LogError):
            await log.proof(600)
        verify_consistency(
            1,
            600,
            await log.consistency_proof(1, 600),
            root_at(memory_subtrees(items), 1),
            checkpoint.root,
        )
        with pytest.raises(LogError):
            await log.append([bytes(65536)])
    finally:
        await log.stop()


async def test_the_sequencer_signs_soon_after_an_append(db: Database, tmp_path: Path) -> None:
    log = _log(db, tmp_path, interval=0.05)
    await log.start()
    try:
        await log.append(entries(3))
        for _ in range(100):
            if _open(log, await log.checkpoint()).size == 3:
                break
            await asyncio.sleep(0.02)
        assert _open(log, await log.checkpoint()).size == 3
    finally:
        await log.stop()


async def test_two_nodes_append_at_once_without_a_gap(db: Database, tmp_path: Path) -> None:
    # A second node has its own engine and connections; an SQLite file has one process.
    other = db if db.is_sqlite else Database(db.url)
    first, second = _log(db, tmp_path), _log(other, tmp_path)
    await first.start()
    await second.start()
    try:

        async def node(log: PublicLog, tag: str) -> list[int]:
            return [await log.append([f"{tag}{i}".encode()]) for i in range(40)]

        a, b = await asyncio.gather(node(first, "a"), node(second, "b"))
        assert sorted(a + b) == list(range(80))
        notes = []
        for log in (first, second, first):
            await log.sign_checkpoint()
            notes.append(_open(log, await log.checkpoint()))
        assert notes[-1].size == 80
        stored = await first.entries(0, 80)
        assert root_at(memory_subtrees(stored), 80) == notes[-1].root
    finally:
        await first.stop()
        await second.stop()
        if other is not db:
            await other.close()


async def test_a_changed_hash_stops_the_hub_at_start(db: Database, tmp_path: Path) -> None:
    log = _log(db, tmp_path)
    await log.start()
    await log.append(entries(5))
    await log.sign_checkpoint()
    await log.stop()
    note = await log.checkpoint()
    assert note is not None and Checkpoint.parse(SignedNote.parse(note).text).size == 5
    async with db.write() as conn:
        await conn.execute(
            update(log_hashes)
            .where(log_hashes.c.level == 0, log_hashes.c.idx == 3)
            .values(hash=bytes(32))
        )
    with pytest.raises(StartRefused, match="does not hash to its head"):
        await _log(db, tmp_path).start()


async def test_deleting_the_newest_entries_stops_the_hub_at_start(
    db: Database, tmp_path: Path
) -> None:
    log = _log(db, tmp_path)
    await log.start()
    items = entries(5)
    await log.append(items)
    await log.sign_checkpoint()
    await log.stop()
    # The operator removes the newest entry and makes the head agree with what is left.
    async with db.write() as conn:
        await conn.execute(delete(log_entries).where(log_entries.c.idx == 4))
        await conn.execute(delete(log_hashes).where(log_hashes.c.level == 0, log_hashes.c.idx == 4))
        root = root_at(memory_subtrees(items[:4]), 4)
        await conn.execute(update(log_head).values(size=4, root=root))
    with pytest.raises(StartRefused, match="does not match its checkpoint of size 5"):
        await _log(db, tmp_path).start()


def _kept_log(db: Database, tmp_path: Path) -> PublicLog:
    """A log that keeps its newest checkpoint in the data folder, as the hub's does."""
    signer = load_log_signer(tmp_path / "data" / "log-key.pem", ORIGIN)
    kept = KeptCheckpoint(tmp_path / "data" / CHECKPOINT_FILE)
    return PublicLog(db, SystemClock(), signer, checkpoint_interval=3600, kept_checkpoint=kept)


async def _cut_after(db: Database, size: int, leaves: list[bytes]) -> None:
    """Delete every row past `size`, its checkpoints too, and make the head agree: a log
    that is valid in the database alone."""
    async with db.write() as conn:
        await conn.execute(delete(log_entries).where(log_entries.c.idx >= size))
        await conn.execute(
            delete(log_hashes).where(log_hashes.c.level == 0, log_hashes.c.idx >= size)
        )
        await conn.execute(delete(log_checkpoints).where(log_checkpoints.c.size > size))
        root = root_at(memory_subtrees(leaves[:size]), size)
        await conn.execute(update(log_head).values(size=size, root=root))


async def test_deleting_the_newest_rows_and_their_checkpoints_is_caught_by_the_kept_one(
    db: Database, tmp_path: Path
) -> None:
    log = _kept_log(db, tmp_path)
    await log.start()
    items = entries(5)
    await log.append(items[:3])
    await log.sign_checkpoint()
    await log.append(items[3:])
    await log.sign_checkpoint()
    await log.stop()
    kept = (tmp_path / "data" / CHECKPOINT_FILE).read_bytes()
    assert Checkpoint.parse(SignedNote.parse(kept).text).size == 5
    await _cut_after(db, 3, items)
    with pytest.raises(StartRefused, match=f"checkpoint kept in {CHECKPOINT_FILE} is at size 5"):
        await _kept_log(db, tmp_path).start()


async def test_a_rewritten_history_is_caught_by_the_kept_checkpoint(
    db: Database, tmp_path: Path
) -> None:
    log = _kept_log(db, tmp_path)
    await log.start()
    items = entries(4)
    await log.append(items)
    await log.sign_checkpoint()
    await log.stop()
    # The newest rows go and others take their place, under the log's own key even: the
    # database holds a consistent, signed log, but not the one the data folder saw.
    await _cut_after(db, 2, items)
    (tmp_path / "data" / "keep").mkdir()
    kept = tmp_path / "data" / CHECKPOINT_FILE
    kept.rename(tmp_path / "data" / "keep" / CHECKPOINT_FILE)
    rewriter = _kept_log(db, tmp_path)
    await rewriter.start()
    await rewriter.append([b"forged 2", b"forged 3", b"forged 4"])
    await rewriter.sign_checkpoint()
    await rewriter.stop()
    (tmp_path / "data" / "keep" / CHECKPOINT_FILE).replace(kept)
    with pytest.raises(StartRefused, match="its history was rewritten"):
        await _kept_log(db, tmp_path).start()


async def test_a_kept_checkpoint_of_another_key_is_refused(db: Database, tmp_path: Path) -> None:
    log = _kept_log(db, tmp_path)
    await log.start()
    await log.stop()
    other = Ed25519Signer(ORIGIN, load_log_signer(tmp_path / "other.pem", ORIGIN).key)
    text = Checkpoint(ORIGIN, 0, root_at(memory_subtrees([]), 0)).text()
    (tmp_path / "data" / CHECKPOINT_FILE).write_bytes(
        text + b"\n" + other.signature_line(text).encode()
    )
    with pytest.raises(StartRefused, match=f"{CHECKPOINT_FILE} does not verify"):
        await _kept_log(db, tmp_path).start()


async def test_a_lost_log_key_is_refused_and_no_new_key_is_left(
    db: Database, tmp_path: Path
) -> None:
    log = _log(db, tmp_path)
    await log.start()
    await log.append(entries(3))
    await log.sign_checkpoint()
    await log.stop()
    (tmp_path / "data" / "log-key.pem").unlink()  # the data folder lost its log key
    key = log_key_file(tmp_path / "data" / "log-key.pem")
    fresh = PublicLog(db, SystemClock(), Ed25519Signer(ORIGIN, key.key), key_file=key)
    with pytest.raises(StartRefused, match=r"were log-key\.pem or public_log_name changed"):
        await fresh.start()
    assert not (tmp_path / "data" / "log-key.pem").exists()
