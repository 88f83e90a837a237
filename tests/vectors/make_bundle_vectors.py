"""Writes tests/vectors/bundle/: a real opening's bundle, copies tampered with, and the verdicts.

Run from the repository root: .venv/bin/python tests/vectors/make_bundle_vectors.py
It runs a hub with two witnesses on 127.0.0.1 (SQLite), holds an opening (three bidders, one
of them replaced a bid, a fourth withdrew, one did not confirm), and downloads its bundle and
one receipt's tlog-proof; then publishes the lot's result, to which the rejected bidder
objects (signed), and downloads the bundle again. The manifest names, for each case, the
files and the trust the verifier is given and what `bidopen verify` answers: "VERIFIED" or
its one reason. The browser verifier (client_web/static/js/verify/) is held to the same
answers by client_web/test/bundle-verify.test.mjs, the Python one by
tests/tlog/test_bundle_vectors.py.

The hub's keys are new at every run, so every file changes. With `--record-forgeries` it
writes only the records forged where the replay alone sees it, from the opening.bundle.json
already there, and adds them to the manifest, leaving every other file as it is.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
for folder in ("tests", "tests/hub", "tests/hub_eval", "tests/tlog"):
    sys.path.insert(0, str(ROOT / folder))

import aiohttp  # noqa: E402
from evaluation_kit import OpenedSession, reach_report_stage, result_body  # noqa: E402
from hubtesting import (  # noqa: E402
    HubApi,
    data_key_of,
    seal_bid,
    signed_result_objection,
    wait_for_phase,
)
from tlog_kit import relogged  # noqa: E402
from witnessprocess import running_witnesses  # noqa: E402

from bidopen.service.publiclog import load_log_signer  # noqa: E402
from bidopen.tlog.checkpoint import Checkpoint  # noqa: E402
from bidopen.tlog.cosignature import Cosigner, cosignature_verifier  # noqa: E402
from bidopen.tlog.merkle import leaf_hash, tree_root  # noqa: E402
from bidopen.tlog.note import Ed25519Signer  # noqa: E402
from bidopen.verify.check import Trust, VerificationFailed, verify_bundle  # noqa: E402
from bidseal import generate_keys  # noqa: E402
from bidseal.codec import b64u_decode, b64u_encode  # noqa: E402
from bidseal.ed25519 import Ed25519Key  # noqa: E402
from bidseal.signed import ServerKey, sign_document  # noqa: E402
from bidseal.statements import result_objection_message, sign_statement  # noqa: E402
from hubprocess import fresh_database, running_hub  # noqa: E402

OUT = ROOT / "tests" / "vectors" / "bundle"
LOG_NAME = "kaibiao.example.cn/log"
PRICES = {"甲建设集团": "1000000.00", "乙路桥公司": "990000.50", "丙工程有限公司": "1010000.00"}
# A third witness no checkpoint of this log was shown to (for a policy the bundle cannot meet).
STRANGER = Cosigner("witness3.example.org", Ed25519Key.generate()).verifier.vkey


async def _opening(base_url: str, host: tuple[str, str]) -> dict[str, Any]:
    async with aiohttp.ClientSession(base_url=base_url) as http:
        api = HubApi(http)
        await api.login_host(*host)
        bidders = [await api.register(name) for name in [*PRICES, "丁撤回公司"]]
        tender = await api.create_tender(
            deadline_in=4, decryption_seconds=60, confirmation_seconds=5
        )
        tid = tender["id"]
        receipts, sealed = [], {}
        for bidder in bidders:
            price = PRICES.get(bidder.name, "1.00")
            items = {"price": price, "duration_days": "180"}
            sealed[bidder.id] = seal_bid(bidder, tid, "1", items)
            status, body = await api.upload(bidder, tid, "1", sealed[bidder.id])
            assert status == 201, body
            receipts.append(body["receipt"])
        status, body = await api.upload(bidders[0], tid, "1", sealed[bidders[0].id])
        assert status == 201, body
        receipts.append(body["receipt"])
        path = f"/api/tenders/{tid}/lots/1/bid"
        await api.call("DELETE", path, headers=bidders[3].auth, expect=200)
        await wait_for_phase(api, tid, "opening")
        await asyncio.sleep(1.0)
        async with http.get("/log/checkpoint") as answer:
            photo = await answer.read()
        digest = hashlib.sha256(receipts[0]["payload"].encode()).hexdigest()
        async with http.get(f"/api/sessions/{tid}/receipts/{digest}/proof") as answer:
            assert answer.status == 200
            receipt_proof = await answer.read()
        await api.host(tid, "start_decryption")
        for bidder in bidders[:3]:
            await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
            key = data_key_of(bidder, sealed[bidder.id], tid, "1")
            body = {"data_key": key}
            await api.call(
                "POST", f"/api/tenders/{tid}/lots/1/data-key", headers=bidder.auth, json=body
            )
        await api.host(tid, "close_decryption")
        await wait_for_phase(api, tid, "confirmation")
        # The third objects (signed), and then says nothing: deemed to accept.
        await api.object(tid, bidders[2], "第二项报价读错 the second price was misread", "1")
        for bidder in bidders[:2]:
            await api.confirm(tid, bidder)
        await wait_for_phase(api, tid, "record_due")  # the window ran out
        await api.host(tid, "answer_objection", {"objection_id": "O1", "text": "已核对 checked"})
        await api.host(tid, "publish_record")
        await asyncio.sleep(1.5)  # the last checkpoint, cosigned by both witnesses
        photo_size = Checkpoint.parse(photo.split(b"\n\n")[0] + b"\n").size
        _status, bundle = await api.call(
            "GET", f"/api/sessions/{tid}/bundle?old={photo_size}", expect=200
        )
        _status, server_key = await api.call("GET", "/api/server-key", expect=200)
        async with http.get("/log/vkey") as answer:
            log_vkey = (await answer.text()).strip()
        # On to the lot's result; the rejected bidder (the silent one) objects to it, signed.
        await wait_for_phase(api, tid, "closed")
        opened = OpenedSession(tid, tuple(bidders))
        await reach_report_stage(api, opened)
        await api.host(tid, "publish_result", result_body(opened))
        objection = signed_result_objection(tid, bidders[2], "1", "否决理由不成立 unfounded")
        path = f"/api/sessions/{tid}/bidder/object_to_result"
        await api.call("POST", path, headers=bidders[2].auth, json=objection, expect=200)
        await asyncio.sleep(1.5)  # its checkpoint, cosigned by both witnesses
        _status, with_result = await api.call("GET", f"/api/sessions/{tid}/bundle", expect=200)
    return {
        "bundle": bundle,
        "with_result": with_result,
        "server_key": server_key,
        "receipts": receipts,
        "photo": photo.decode(),
        "photo_size": photo_size,
        "receipt_proof": receipt_proof.decode(),
        "log_vkey": log_vkey,
        "silent": bidders[2].id,
    }


def _rewritten(data_dir: Path, size: int) -> str:
    """A checkpoint of `size` over other entries, signed with the log's own key."""
    signer = load_log_signer(data_dir / "log-key.pem", LOG_NAME)
    other = tree_root([leaf_hash(b"another history %d" % i) for i in range(size)])
    text = Checkpoint(LOG_NAME, size, other).text()
    return (text + b"\n" + signer.signature_line(text).encode()).decode()


def _entry(bundle: dict[str, Any], n: int) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(base64.b64decode(bundle["entries"][n]["entry"]))
    return loaded


def _set_entry(bundle: dict[str, Any], n: int, raw: bytes) -> None:
    bundle["entries"][n]["entry"] = base64.b64encode(raw).decode()


def _tamperings() -> list[tuple[str, str, Callable[[dict[str, Any]], None]]]:
    def drop_replaced(b: dict[str, Any]) -> None:
        b["entries"] = [
            e for e in b["entries"] if b'"status":"replaced"' not in base64.b64decode(e["entry"])
        ]

    def edit_entry(b: dict[str, Any]) -> None:
        raw = base64.b64decode(b["entries"][-1]["entry"]).replace(b'"seq":', b'"seq": ')
        _set_entry(b, -1, raw)

    def forge_record(b: dict[str, Any]) -> None:
        record = json.loads(b["records"][-1])
        record["payload"] = record["payload"].replace("990000.50", "980000.50")
        b["records"][-1] = json.dumps(record, ensure_ascii=False)

    def swap_entries(b: dict[str, Any]) -> None:
        b["entries"][1], b["entries"][2] = b["entries"][2], b["entries"][1]

    def drop_event(b: dict[str, Any]) -> None:
        at = next(n for n in range(len(b["entries"])) if _entry(b, n).get("seq") == 3)
        del b["entries"][at]

    def bad_checkpoint_signature(b: dict[str, Any]) -> None:
        text, _sep, lines = b["log"]["checkpoint"].partition("\n\n")
        first, *rest = lines.split("\n")
        name, blob = first.rsplit(" ", 1)
        raw = bytearray(base64.b64decode(blob))
        raw[-1] ^= 1
        signed = "\n".join([f"{name} {base64.b64encode(bytes(raw)).decode()}", *rest])
        b["log"]["checkpoint"] = f"{text}\n\n{signed}"

    def bad_proof_hash(b: dict[str, Any]) -> None:
        proof = b["entries"][0]["proof"]
        raw = bytearray(base64.b64decode(proof[0]))
        raw[0] ^= 1
        proof[0] = base64.b64encode(bytes(raw)).decode()

    def wrong_format(b: dict[str, Any]) -> None:
        b["format"] = "bidopen-bundle/0"

    def record_without_publication(b: dict[str, Any]) -> None:
        b["records"] = []

    def foreign_entry(b: dict[str, Any]) -> None:
        b["session"] = "another-session"

    return [
        ("dropped-bid", "a replaced bid's entry left out", drop_replaced),
        ("edited-entry", "one byte more in the last entry", edit_entry),
        ("forged-record", "a price changed in the signed record", forge_record),
        ("swapped-entries", "two entries in the wrong order", swap_entries),
        ("dropped-event", "the third event left out", drop_event),
        ("bad-log-signature", "one bit of the log's signature flipped", bad_checkpoint_signature),
        ("bad-proof", "one bit of an inclusion proof flipped", bad_proof_hash),
        ("wrong-format", "not a bundle of this format", wrong_format),
        ("record-withheld", "the signed record left out", record_without_publication),
        ("another-session", "the bundle names another session", foreign_entry),
    ]


def _forgeries(silent: str) -> list[tuple[str, str, Callable[[dict[str, Any]], None]]]:
    taken: list[bool] = []

    def forge_confirmation(body: dict[str, Any]) -> None:
        # The platform says the silent bidder confirmed, with another bidder's signature.
        if body.get("kind") == "bidder_confirmed" and not taken:
            taken.append(True)
            body["payload"]["bidder"] = silent

    def forge_objection(body: dict[str, Any]) -> None:
        # The platform rewrites what the bidder objected; the bidder's signature stays.
        if body.get("kind") == "objection_raised":
            body["payload"]["text"] = "无异议 no objection"

    return [
        ("forged-confirmation", "the log says the silent bidder confirmed", forge_confirmation),
        ("forged-objection", "the log holds another text than the bidder signed", forge_objection),
    ]


def _forged_result_objection() -> Callable[[dict[str, Any]], None]:
    """The platform logs, in the bidder's name, another objection to the result, signed with
    a key of its own: a valid signature, not the bidder's."""
    platform = generate_keys()

    def forge(body: dict[str, Any]) -> None:
        if body.get("kind") == "result_objection_raised":
            p = body["payload"]
            p["text"] = "撤回异议 the objection is withdrawn"
            message = result_objection_message(
                body["session"], p["bidder"], p["lot"], p["nonce"], p["text"]
            )
            p["signature"] = sign_statement(platform, message)

    return forge


def _record_forgeries() -> list[tuple[str, str, Callable[[dict[str, Any]], None]]]:
    """Records that differ from the events only where no event states it directly: what the
    replay through the session core rebuilds, and nothing else, refuses them."""

    def invent_pause(record: dict[str, Any]) -> None:
        times = record["times"]
        record["pauses"] = [
            {
                "phase": "decryption",
                "reason": "平台维护 maintenance",
                "started_at": times["decryption_started_at"],
                "ended_at": times["decryption_closed_at"],
            }
        ]

    def invent_failures(record: dict[str, Any]) -> None:
        record["bids"][-1]["failed_attempts"] = 3

    return [
        ("record-invented-pause", "the record states a pause no event holds", invent_pause),
        (
            "record-invented-failures",
            "the record states failed decryption attempts no event holds",
            invent_failures,
        ),
    ]


def forged_record(base: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A platform's forgery with keys of its own (a verifier given no keys takes the bundle's):
    the signed record changed by `change` and signed again, its hash put in the
    record_published event, and the log rebuilt and signed over it."""
    server_key = ServerKey.generate()
    log_signer = Ed25519Signer(LOG_NAME, Ed25519Key.generate())
    copy: dict[str, Any] = json.loads(json.dumps(base))
    record = json.loads(json.loads(copy["records"][-1])["payload"])
    change(record)
    envelope = sign_document("opening-record", record, server_key)
    digest = hashlib.sha256(envelope["payload"].encode()).hexdigest()
    copy["records"][-1] = json.dumps(envelope, ensure_ascii=False)
    copy["server_key"] = {
        "format": "bidseal-server-key/1",
        "key": b64u_encode(server_key.public_key),
        "key_id": server_key.key_id,
        "algorithm": "ECDSA-P256-SHA256",
    }
    copy["log"]["vkey"] = log_signer.verifier.vkey

    def publish(body: dict[str, Any]) -> None:
        if body.get("kind") == "record_published":
            body["payload"]["sha256"] = digest
            body["payload"]["signature"] = envelope["signature"]

    return relogged(copy, log_signer, publish)


def _write(name: str, text: str) -> str:
    (OUT / name).write_text(text, encoding="utf-8")
    return name


def _record_forgery_cases(base: dict[str, Any]) -> list[dict[str, Any]]:
    """Writes the forged records' bundles; their cases, verdicts not yet given."""
    cases = []
    for name, what, change in _record_forgeries():
        file = _write(
            f"{name}.bundle.json",
            json.dumps(forged_record(base, change), ensure_ascii=False, indent=1),
        )
        cases.append({"name": name, "what": what, "bundle": file, "trust": {}})
    return cases


def add_record_forgeries() -> None:
    """The forged records added to the vectors already written; the other files unchanged."""
    base = json.loads((OUT / "opening.bundle.json").read_text(encoding="utf-8"))
    manifest = json.loads((OUT / "manifest.json").read_text(encoding="utf-8"))
    cases = _record_forgery_cases(base)
    names = {case["name"] for case in cases}
    manifest["cases"] = [c for c in manifest["cases"] if c["name"] not in names] + cases
    for case in cases:
        case["expect"] = python_verdict(OUT / case["bundle"], trust_of(case["trust"]))
        print(f"{case['name']}: {case['expect']}")
    _write("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")


def trust_of(spec: dict[str, Any], files: Path = OUT) -> Trust:
    """The trust a manifest case gives the verifier (files named relative to `files`)."""
    receipts: tuple[dict[str, Any], ...] = ()
    if spec.get("receipts"):
        lines = (files / spec["receipts"]).read_text(encoding="utf-8").splitlines()
        receipts = tuple(json.loads(line) for line in lines if line.strip())
    key = spec.get("server_key")
    return Trust(
        log_vkey=spec.get("log"),
        witnesses=tuple(cosignature_verifier(v) for v in spec.get("witnesses", [])),
        quorum=spec.get("quorum", 0),
        server_key=None if key is None else _server_key(files / key),
        receipts=receipts,
        old_checkpoint=None if spec.get("old") is None else (files / spec["old"]).read_bytes(),
    )


def _server_key(path: Path) -> bytes:
    return b64u_decode(json.loads(path.read_text())["key"])


def python_verdict(bundle_path: Path, trust: Trust) -> str:
    """What `bidopen verify` answers: VERIFIED, or the reason it prints after FAILED."""
    try:
        verify_bundle(json.loads(bundle_path.read_text(encoding="utf-8")), trust)
    except VerificationFailed as exc:
        return str(exc)
    return "VERIFIED"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "data"
        data.mkdir()
        log_vkey = load_log_signer(data / "log-key.pem", LOG_NAME).verifier.vkey
        sqlite = fresh_database("sqlite", folder)
        with running_witnesses(folder, log_vkey) as started, sqlite as url:
            env = {
                "BIDOPEN_PUBLIC_LOG_NAME": LOG_NAME,
                "BIDOPEN_PUBLIC_LOG_CHECKPOINT_MS": "100",
                "BIDOPEN_PUBLIC_LOG_WITNESSES": ",".join(f"{p.url} {v}" for p, v in started),
                "BIDOPEN_PUBLIC_LOG_WITNESS_QUORUM": "2",
            }
            witnesses = [v for _p, v in started]
            with running_hub(url, folder, env) as hub:
                made = asyncio.run(_opening(hub.base_url, (hub.host_user, hub.host_password)))
            rewritten = _rewritten(data, made["photo_size"])
            log_signer = load_log_signer(data / "log-key.pem", LOG_NAME)
            other_vkey = load_log_signer(folder / "other.pem", LOG_NAME).verifier.vkey
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    base = made["bundle"]
    _write("opening.bundle.json", json.dumps(base, ensure_ascii=False, indent=1))
    _write("server-key.json", json.dumps(made["server_key"]))
    kept = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in made["receipts"])
    _write("receipts.jsonl", kept)
    _write("photo.checkpoint", made["photo"])
    _write("rewritten.checkpoint", rewritten)
    _write("receipt.tlog-proof", made["receipt_proof"])
    full = {
        "log": made["log_vkey"],
        "witnesses": witnesses,
        "quorum": 2,
        "server_key": "server-key.json",
        "receipts": "receipts.jsonl",
    }
    cases: list[dict[str, Any]] = [
        {
            "name": "verified",
            "what": "the bundle as served",
            "bundle": "opening.bundle.json",
            "trust": full,
        },
        {
            "name": "verified-bundle-keys",
            "what": "no trust given: the bundle's own keys",
            "bundle": "opening.bundle.json",
            "trust": {},
        },
        {
            "name": "held-to-photo",
            "what": "a checkpoint photographed at the deadline",
            "bundle": "opening.bundle.json",
            "trust": {**full, "old": "photo.checkpoint"},
        },
        {
            "name": "rewritten-since-photo",
            "what": "a checkpoint of the same size over another history, signed by the log key",
            "bundle": "opening.bundle.json",
            "trust": {**full, "old": "rewritten.checkpoint"},
        },
        {
            "name": "stricter-policy",
            "what": "three witnesses required, one of them never shown the log",
            "bundle": "opening.bundle.json",
            "trust": {**full, "witnesses": [*witnesses, STRANGER], "quorum": 3},
        },
        {
            "name": "another-log-key",
            "what": "the checkpoint held to a key that is not the log's",
            "bundle": "opening.bundle.json",
            "trust": {**full, "log": other_vkey},
        },
    ]
    for name, what, change in _tamperings():
        copy = json.loads(json.dumps(base))
        change(copy)
        file = _write(f"{name}.bundle.json", json.dumps(copy, ensure_ascii=False, indent=1))
        cases.append({"name": name, "what": what, "bundle": file, "trust": full})
    # The platform, holding the log's and the server's keys, forges what a bidder said.
    platform = {"log": made["log_vkey"], "server_key": "server-key.json"}
    for name, what, change in _forgeries(made["silent"]):
        copy = relogged(base, log_signer, change)
        file = _write(f"{name}.bundle.json", json.dumps(copy, ensure_ascii=False, indent=1))
        cases.append({"name": name, "what": what, "bundle": file, "trust": platform})
    # The same opening once its result was published and objected to: as served, and with
    # the objection forged.
    with_result = made["with_result"]
    file = _write("result.bundle.json", json.dumps(with_result, ensure_ascii=False, indent=1))
    what = "the bundle with the lot's result and a bidder's signed objection to it"
    cases.append({"name": "verified-result", "what": what, "bundle": file, "trust": full})
    forged = relogged(with_result, log_signer, _forged_result_objection())
    name = "forged-result-objection"
    file = _write(f"{name}.bundle.json", json.dumps(forged, ensure_ascii=False, indent=1))
    what = "the log holds an objection to the result signed by a key that is not the bidder's"
    cases.append({"name": name, "what": what, "bundle": file, "trust": platform})
    cases += _record_forgery_cases(base)
    for case in cases:
        trust = trust_of(case["trust"])
        case["expect"] = python_verdict(OUT / case["bundle"], trust)
        print(f"{case['name']}: {case['expect']}")
    receipt_digest = hashlib.sha256(made["receipts"][0]["payload"].encode()).hexdigest()
    manifest = {
        "note": "written by tests/vectors/make_bundle_vectors.py from a real opening",
        "log_vkey": made["log_vkey"],
        "witnesses": witnesses,
        "cases": cases,
        "receipt_proof": {
            "file": "receipt.tlog-proof",
            "receipt": 0,
            "receipt_sha256": receipt_digest,
            "other_receipt": 2,
        },
    }
    _write("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--record-forgeries"]:
        add_record_forgeries()
    else:
        main()
