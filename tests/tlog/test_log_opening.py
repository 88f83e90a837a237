"""A real opening with two witnesses: what the log holds before and after the deadline, and
the opening's bundle verified offline with the hub stopped (and refused once tampered with)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from tlog_kit import relogged  # also puts tests/hub on the path
from witnessprocess import WitnessProcess, running_witnesses

from bidopen.service.keyfiles import FolderKey
from bidopen.service.publiclog import load_log_signer
from bidopen.service.signing import SERVER_KEY_FILE, document_text
from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.cosignature import Cosigner, cosignature_verifier
from bidopen.tlog.merkle import leaf_hash, tree_root
from bidopen.tlog.note import ed25519_verifier
from bidopen.tlog.policy import LogPolicy
from bidopen.tlog.tiles import Tile, decode_bundle, tiles_of_tree
from bidopen.verify.check import VerificationFailed, check_receipt_proof
from bidseal.ed25519 import Ed25519Key
from bidseal.signed import ServerKey, sign_document
from hubprocess import HubProcess

from hubtesting import HubApi, data_key_of, seal_bid, wait_for_phase  # isort: skip

LOG_NAME = "kaibiao.example.cn/log"
PRICES = {"甲建设集团": "1000000.00", "乙路桥公司": "990000.50", "丙工程有限公司": "1010000.00"}


@pytest.fixture
def witnesses(tmp_path: Path) -> Iterator[list[tuple[WitnessProcess, str]]]:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    # The log's key is made before the hub starts, so the witnesses can be told it.
    log_vkey = load_log_signer(data / "log-key.pem", LOG_NAME).verifier.vkey
    with running_witnesses(tmp_path, log_vkey) as started:
        yield started


@pytest.fixture
def hub_env(witnesses: list[tuple[WitnessProcess, str]]) -> dict[str, str]:
    return {
        "BIDOPEN_PUBLIC_LOG_NAME": LOG_NAME,
        "BIDOPEN_PUBLIC_LOG_CHECKPOINT_MS": "100",
        "BIDOPEN_PUBLIC_LOG_WITNESSES": ",".join(f"{p.url} {v}" for p, v in witnesses),
        "BIDOPEN_PUBLIC_LOG_WITNESS_QUORUM": "2",
    }


async def _served(api: HubApi, policy: LogPolicy) -> tuple[int, list[dict[str, Any]]]:
    """The checkpoint's size and every entry the log serves under it, read as a client would."""
    async with api.http.get("/log/checkpoint") as answer:
        checkpoint = policy.open_checkpoint(await answer.read())[0]
    found: list[dict[str, Any]] = []
    for tile in tiles_of_tree(checkpoint.size):
        if tile.level == 0:
            bundle = Tile(0, tile.index, tile.width, entries=True)
            async with api.http.get(f"/log/{bundle.path}") as answer:
                assert answer.status == 200
                found += [json.loads(e) for e in decode_bundle(await answer.read())]
    return checkpoint.size, found


async def _settled(api: HubApi, policy: LogPolicy) -> tuple[int, list[dict[str, Any]]]:
    """Once the sequencer has had time to sign what was appended (checkpoints every 0.1 s)."""
    await asyncio.sleep(0.5)
    return await _served(api, policy)


def _bidopen(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bidopen", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    return _bidopen("verify", *args)


async def test_an_opening_in_the_log_and_its_bundle_offline(
    hub_process: HubProcess,
    hub_client: aiohttp.ClientSession,
    witnesses: list[tuple[WitnessProcess, str]],
    tmp_path: Path,
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    async with hub_client.get("/log/vkey") as answer:
        log_vkey = (await answer.text()).strip()
    cosigners = tuple(cosignature_verifier(v) for _p, v in witnesses)
    policy = LogPolicy(ed25519_verifier(log_vkey), cosigners, 2)
    bidders = [await api.register(name) for name in [*PRICES, "丁撤回公司"]]
    tender = await api.create_tender(deadline_in=4)
    tid = tender["id"]
    size_before, before = await _settled(api, policy)

    receipts: list[dict[str, Any]] = []
    sealed: dict[str, bytes] = {}
    for bidder in bidders:
        price = PRICES.get(bidder.name, "1.00")
        sealed[bidder.id] = seal_bid(bidder, tid, "1", {"price": price, "duration_days": "180"})
        status, body = await api.upload(bidder, tid, "1", sealed[bidder.id])
        assert status == 201, body
        receipts.append(body["receipt"])
    # One bid is replaced (the second file is the one opened), one is withdrawn.
    status, body = await api.upload(bidders[0], tid, "1", sealed[bidders[0].id])
    assert status == 201, body
    receipts.append(body["receipt"])
    withdrawn = bidders[3]
    await api.call("DELETE", f"/api/tenders/{tid}/lots/1/bid", headers=withdrawn.auth, expect=200)

    # Before the deadline: the log has not moved, and nothing in it is about bids or bidders.
    size_after, after = await _settled(api, policy)
    assert size_after == size_before
    assert after == before
    served = json.dumps(after, ensure_ascii=False)
    assert '"bid"' not in served and not any(b.id in served for b in bidders)
    assert [e["kind"] for e in after if e["session"] == tid] == ["session_scheduled"]

    await wait_for_phase(api, tid, "opening")
    _size, opened = await _settled(api, policy)
    async with hub_client.get("/log/checkpoint") as answer:
        photo = await answer.read()  # what the big screen showed, photographed in the hall
    photo_size = policy.open_checkpoint(photo)[0].size
    mine = [e for e in opened if e["session"] == tid]
    kinds = [e["type"] if e["type"] == "bid" else e["kind"] for e in mine]
    assert kinds[:7] == ["session_scheduled", "bid", "bid", "bid", "bid", "bid", "deadline_passed"]
    batch = mine[1:6]
    assert [b["received_at"] for b in batch] == sorted(b["received_at"] for b in batch)
    assert sorted(b["status"] for b in batch) == ["current"] * 3 + ["replaced", "withdrawn"]

    # A bidder fetches the proof that its receipt is in the log and checks it on its own.
    _status, server_key = await api.call("GET", "/api/server-key", expect=200)
    key = base64.urlsafe_b64decode(server_key["key"] + "==")
    for receipt in receipts[:2]:
        digest = hashlib.sha256(receipt["payload"].encode()).hexdigest()
        path = f"/api/sessions/{tid}/receipts/{digest}/proof"
        for _ in range(40):  # until the witnesses' cosignatures are on the checkpoint
            async with hub_client.get(path) as answer:
                assert answer.status == 200
                proof = await answer.read()
            try:
                index, size = check_receipt_proof(proof, receipt, policy, key)
                break
            except VerificationFailed:
                await asyncio.sleep(0.1)
        assert size >= index + 1
        with pytest.raises(VerificationFailed, match="not this receipt"):
            check_receipt_proof(proof, receipts[2], policy, key)
    _status, body = await api.call("GET", f"/api/sessions/{tid}/receipts/{'0' * 64}/proof")
    assert body["error"]["code"] == "not_found"
    # The command line does the same for every receipt it kept, and keeps the proofs.
    book = tmp_path / "keys" / "receipts.jsonl"
    book.parent.mkdir()
    book.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in receipts))
    command = ["proofs", "--url", hub_process.base_url, "--receipts", str(book)]
    command += ["--log", log_vkey, "--quorum", "2"]
    for _p, vkey in witnesses:
        command += ["--witness", vkey]
    proven = await asyncio.to_thread(_bidopen, *command)
    assert proven.returncode == 0, proven.stderr
    assert proven.stdout.count("ok  receipt") == len(receipts)
    assert len(list((tmp_path / "keys" / "proofs").glob("*.tlog-proof"))) == len(receipts)

    # The rest of the opening, every event appended as it happens.
    await api.host(tid, "start_decryption")
    current = bidders[:3]
    for bidder in current:
        await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
        key = data_key_of(bidder, sealed[bidder.id], tid, "1")
        await api.call(
            "POST",
            f"/api/tenders/{tid}/lots/1/data-key",
            headers=bidder.auth,
            json={"data_key": key},
            expect=200,
        )
    await api.host(tid, "close_decryption")
    await wait_for_phase(api, tid, "confirmation")
    for bidder in current:
        await api.confirm(tid, bidder)
    await api.host(tid, "close_confirmation")
    await api.host(tid, "publish_record")
    await asyncio.sleep(0.5)

    path = f"/api/sessions/{tid}/bundle?old={photo_size}"
    _status, bundle = await api.call("GET", path, expect=200)
    events = await api.events(tid, auth=api.host_auth)
    assert sum(1 for e in bundle["entries"] if b"event" in base64.b64decode(e["entry"])) == len(
        events
    )
    hub_process.stop()  # everything below is offline

    files = {
        "bundle": json.dumps(bundle, ensure_ascii=False),
        "server-key.json": json.dumps(server_key),
        "receipts.jsonl": "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in receipts),
        "photo": photo.decode(),
        "rewritten": _rewritten(hub_process.data_dir, photo_size).decode(),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    trust = ["--log", log_vkey, "--quorum", "2", "--server-key", str(tmp_path / "server-key.json")]
    for _p, vkey in witnesses:
        trust += ["--witness", vkey]
    trust += ["--receipts", str(tmp_path / "receipts.jsonl")]

    ok = await asyncio.to_thread(_verify, str(tmp_path / "bundle"), *trust)
    assert ok.returncode == 0, ok.stderr
    assert "VERIFIED" in ok.stdout
    assert "2 of 2 witnesses cosigned" in ok.stdout
    assert "follows" in ok.stdout
    held = await asyncio.to_thread(
        _verify, str(tmp_path / "bundle"), *trust, "--old", str(tmp_path / "photo")
    )
    assert held.returncode == 0, held.stderr
    assert f"checkpoint of size {photo_size} is consistent" in held.stdout
    # A log rewritten since the photograph: the same key signed another tree of that size.
    rewritten = await asyncio.to_thread(
        _verify, str(tmp_path / "bundle"), *trust, "--old", str(tmp_path / "rewritten")
    )
    assert rewritten.returncode == 1
    assert "the log was rewritten since the saved checkpoint" in rewritten.stderr

    def tampered(name: str, change: Any) -> str:
        copy = json.loads(files["bundle"])
        change(copy)
        path = tmp_path / name
        path.write_text(json.dumps(copy, ensure_ascii=False), encoding="utf-8")
        return str(path)

    def drop_replaced(b: dict[str, Any]) -> None:
        b["entries"] = [
            e for e in b["entries"] if b'"status":"replaced"' not in base64.b64decode(e["entry"])
        ]

    def edit_entry(b: dict[str, Any]) -> None:
        entry = base64.b64decode(b["entries"][-1]["entry"]).replace(b'"seq":', b'"seq": ')
        b["entries"][-1]["entry"] = base64.b64encode(entry).decode()

    def forge_record(b: dict[str, Any]) -> None:
        record = json.loads(b["records"][-1])
        record["payload"] = record["payload"].replace("990000.50", "980000.50")
        b["records"][-1] = json.dumps(record, ensure_ascii=False)

    cases = [
        ("dropped", drop_replaced, "is missing from the deadline batch"),
        ("edited", edit_entry, "does not lead to the root"),
        ("forged", forge_record, "is not signed by the server key"),
    ]
    for name, change, reason in cases:
        refused = await asyncio.to_thread(_verify, tampered(name, change), *trust)
        assert refused.returncode == 1, (name, refused.stdout)
        assert reason in refused.stderr, (name, refused.stderr)
    # A stricter witness policy than the bundle meets is refused too.
    strict = [*trust, "--witness", cosignature_verifier_vkey(), "--quorum", "3"]
    refused = await asyncio.to_thread(_verify, str(tmp_path / "bundle"), *strict)
    assert refused.returncode == 1 and "2 witnesses cosigned" in refused.stderr

    # A record signed years ago in the earlier format (no read-out hash, no bidders'
    # signatures, no leaves) still verifies: each member it states is the replayed one.
    own = ["--log", log_vkey, "--server-key", str(tmp_path / "server-key.json")]
    for name, change, verdict in (
        ("earlier", lambda payload: None, "every member its format"),
        ("earlier-forged", _cheaper, "does not follow from the events"),
    ):
        path = tmp_path / f"{name}.bundle"
        earlier = _with_earlier_record(json.loads(files["bundle"]), hub_process.data_dir, change)
        path.write_text(json.dumps(earlier, ensure_ascii=False), encoding="utf-8")
        checked = await asyncio.to_thread(_verify, str(path), *own)
        assert verdict in checked.stdout + checked.stderr, (name, checked.stdout, checked.stderr)
        assert checked.returncode == (0 if name == "earlier" else 1), name


def _cheaper(payload: dict[str, Any]) -> None:
    """The platform's lie in an old record: the first read-out line says another price."""
    line = next(x for lot in payload["readout"] for x in lot["lines"] if x["items"])
    line["items"] = {k: "1.00" for k in line["items"]}


def _with_earlier_record(bundle: dict[str, Any], data_dir: Path, change: Any) -> dict[str, Any]:
    """`bundle` as a hub of the earlier record format would have served it: the record
    re-signed as format 3 with the hub's own key, the log rebuilt to name it."""
    key = FolderKey(data_dir / SERVER_KEY_FILE, ServerKey, "server signing key").key
    payload = json.loads(json.loads(bundle["records"][-1])["payload"])
    for member in ("readout_sha256", "leaves"):
        del payload[member]
    for confirmation in payload["confirmed"]:
        del confirmation["signature"]
    for objection in payload["objections"]:
        del objection["nonce"], objection["signature"]
    payload["format"] = "bidopen-opening-record/3"
    change(payload)
    envelope = sign_document("opening-record", payload, key)
    bundle["records"][-1] = document_text(envelope)
    digest = hashlib.sha256(envelope["payload"].encode()).hexdigest()

    def names_it(body: dict[str, Any]) -> None:
        if body.get("kind") == "record_published":
            body["payload"].update(sha256=digest, signature=envelope["signature"])

    signer = load_log_signer(data_dir / "log-key.pem", LOG_NAME)
    return relogged(bundle, signer, names_it)


def _rewritten(data_dir: Path, size: int) -> bytes:
    """A checkpoint of `size` over other entries, signed with the log's own key."""
    signer = load_log_signer(data_dir / "log-key.pem", LOG_NAME)
    other = tree_root([leaf_hash(b"another history %d" % i) for i in range(size)])
    text = Checkpoint(LOG_NAME, size, other).text()
    return text + b"\n" + signer.signature_line(text).encode()


def cosignature_verifier_vkey() -> str:
    return Cosigner("witness3.example.org", Ed25519Key.generate()).verifier.vkey
