"""One file per opening (`GET /api/sessions/{id}/bundle`): what `bidopen verify` checks offline.

The signed record and results, every log entry of the session with its inclusion proof
under one checkpoint (cosigned as far as the witnesses answered), the payloads kept beside
the log, the server's and the log's public keys, and the signing keys of the bidders of the
deadline batch (their confirmations and objections are signed with them).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from bidopen.service.publiclog import PublicLog
from bidopen.service.signing import ServerSigner
from bidopen.store import bidders as bidder_store
from bidopen.store import eventlog
from bidopen.store.db import Database
from bidopen.store.documents import documents_of
from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.errors import LogError
from bidopen.tlog.note import SignedNote
from bidopen.tlog.proof import TlogProof

BUNDLE_FORMAT = "bidopen-bundle/1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def session_bundle(
    db: Database,
    public_log: PublicLog,
    signer: ServerSigner,
    session_id: str,
    old_size: int | None = None,
) -> dict[str, Any]:
    """The bundle; with `old_size`, also the consistency proof from that size to the
    bundle's checkpoint, so a checkpoint saved earlier can be held to it offline."""
    note, proven = await public_log.session_proofs(session_id)
    size = Checkpoint.parse(SignedNote.parse(note).text).size
    consistency = None
    if old_size is not None:
        if not 0 < old_size <= size:
            raise LogError(f"no consistency proof from size {old_size} to size {size}")
        proof = await public_log.consistency_proof(old_size, size)
        consistency = {"old_size": old_size, "proof": [_b64(h) for h in proof]}
    async with db.read() as conn:
        records = await documents_of(conn, session_id, "opening-record")
        results = await documents_of(conn, session_id, "evaluation-result")
        stored = await eventlog.load(conn, session_id)
    beside = {}
    bidders: set[str] = set()
    for _index, entry, _proof in proven:
        body = json.loads(entry)
        if body.get("type") == "bid":
            bidders.add(str(body["bidder"]))
        if "payload_sha256" in body:
            event = stored[body["seq"] - 1]
            beside[str(event.seq)] = event.payload
    async with db.read() as conn:
        accounts = [await bidder_store.get_bidder(conn, b) for b in sorted(bidders)]
    return {
        "format": BUNDLE_FORMAT,
        "session": session_id,
        "log": {
            "origin": public_log.origin,
            "vkey": public_log.vkey,
            "checkpoint": note.decode(),
        },
        "server_key": signer.public_description(),
        # The keys bidders sign in, confirm and object with, as registered.
        "bidder_keys": {
            a.id: {"signing_key": a.signing_key, "key_id": a.key_id}
            for a in accounts
            if a is not None
        },
        "records": records,
        "results": results,
        "entries": [
            {"index": index, "entry": _b64(entry), "proof": [_b64(h) for h in proof]}
            for index, entry, proof in proven
        ],
        "payloads": beside,
        "consistency": consistency,
    }


async def receipt_proof(public_log: PublicLog, session_id: str, receipt_sha256: str) -> TlogProof:
    """The tlog-proof of the bid entry a receipt is found by; the entry rides in `extra`."""
    needle = f'"receipt_sha256":"{receipt_sha256}"'.encode()
    for index, entry in await public_log.session_entries(session_id):
        if needle in entry and json.loads(entry).get("receipt_sha256") == receipt_sha256:
            return await public_log.proof(index, extra=entry)
    raise LogError("no entry of this receipt under the newest checkpoint")
