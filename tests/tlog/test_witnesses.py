"""A log with two real witness processes: cosignatures, a quorum, and a fork refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from tlog_kit import entries
from witnessprocess import WitnessProcess, running_witnesses

from bidopen.clock import SystemClock
from bidopen.service.publiclog import PublicLog, load_log_signer
from bidopen.service.witnesses import WitnessClient, add_checkpoint_body
from bidopen.store.db import Database
from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.cosignature import cosignature_verifier
from bidopen.tlog.merkle import leaf_hash, tree_root
from bidopen.tlog.note import Ed25519Signer
from bidseal.ed25519 import Ed25519Key

ORIGIN = "kaibiao.example.cn/log"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


@pytest.fixture
def witnesses(tmp_path: Path, data: Path) -> Iterator[list[tuple[WitnessProcess, str]]]:
    vkey = load_log_signer(data / "log-key.pem", ORIGIN).verifier.vkey
    with running_witnesses(tmp_path, vkey) as started:
        yield started


@pytest.fixture
async def db(data: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{data / 'bidopen.db'}")
    await database.create_schema()
    yield database
    await database.close()


def _log(db: Database, data: Path, clients: list[WitnessClient], quorum: int) -> PublicLog:
    signer = load_log_signer(data / "log-key.pem", ORIGIN)
    return PublicLog(
        db, SystemClock(), signer, checkpoint_interval=3600, witnesses=clients, quorum=quorum
    )


async def test_two_witnesses_cosign_a_growing_log(
    db: Database, data: Path, witnesses: list[tuple[WitnessProcess, str]]
) -> None:
    clients = [WitnessClient(p.url, cosignature_verifier(v)) for p, v in witnesses]
    log = _log(db, data, clients, quorum=2)
    await log.start()
    try:
        for count in (3, 250, 1):
            await log.append(entries(count))
            await log.sign_checkpoint()
            await log.cosigned()
            note = await log.checkpoint()
            assert note is not None
            checkpoint, _note, cosigned = log.policy.open_checkpoint(note)
            assert cosigned == 2
        assert checkpoint.size == 254
        # A node that restarted knows no witness's size: the witness tells it (409), it retries.
        fresh = [WitnessClient(p.url, cosignature_verifier(v)) for p, v in witnesses]
        await log.append(entries(1))
        restarted = _log(db, data, fresh, quorum=2)
        await restarted.sign_checkpoint()
        await restarted.cosigned()
        note = await restarted.checkpoint()
        assert note is not None and restarted.policy.open_checkpoint(note)[2] == 2
    finally:
        await log.stop()


async def test_a_witness_refuses_a_fork(
    db: Database, data: Path, witnesses: list[tuple[WitnessProcess, str]]
) -> None:
    process, vkey = witnesses[0]
    log = _log(db, data, [WitnessClient(process.url, cosignature_verifier(vkey))], quorum=1)
    await log.start()
    await log.append(entries(4))
    await log.sign_checkpoint()
    await log.cosigned()
    await log.stop()
    # The same key signs another tree of size 5 that does not extend the cosigned one.
    signer = load_log_signer(data / "log-key.pem", ORIGIN)
    forked = [b"rewritten", *entries(4)[1:], b"more"]
    text = Checkpoint(ORIGIN, 5, tree_root([*map(_leaf, forked)])).text()
    note = text + b"\n" + signer.signature_line(text).encode()
    async with aiohttp.ClientSession() as http:
        body = add_checkpoint_body(4, [bytes(32)] * 3, note)
        async with http.post(f"{process.url}/add-checkpoint", data=body) as answer:
            assert answer.status == 422
        async with http.post(
            f"{process.url}/add-checkpoint", data=add_checkpoint_body(0, [], note)
        ) as answer:
            assert answer.status == 409
            assert answer.content_type == "text/x.tlog.size"
            assert await answer.text() == "4\n"
        impostor = Ed25519Signer(ORIGIN, Ed25519Key.generate())  # same name, other key
        forged = text + b"\n" + impostor.signature_line(text).encode()
        async with http.post(
            f"{process.url}/add-checkpoint", data=add_checkpoint_body(4, [], forged)
        ) as answer:
            assert answer.status == 403
        async with http.post(
            f"{process.url}/add-checkpoint", data=b"old 4\nnot base64!\n\n" + note
        ) as answer:
            assert answer.status == 400


def _leaf(entry: bytes) -> bytes:
    return leaf_hash(entry)
