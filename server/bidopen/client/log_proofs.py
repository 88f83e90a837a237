"""After the deadline: prove each kept receipt of a tender in the public log, and keep the proof.

The receipt protected the bidder until the deadline; from the deadline batch on, the log does.
Each kept receipt's bid entry is fetched as a tlog-proof, checked against the log's key and
the server's key, and kept beside the receipts (KEYDIR/proofs/RECEIPT_SHA256.tlog-proof). A
receipt whose entry the hub cannot prove is the platform's fault.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bidopen.client.bidder import BidderClient
from bidopen.client.errors import ClientError
from bidopen.client.receipts import BOOK_NAME
from bidopen.tlog.errors import LogError
from bidopen.tlog.note import ed25519_verifier
from bidopen.tlog.policy import LogPolicy
from bidopen.verify.check import VerificationFailed, check_receipt_proof

PROOFS = "proofs"


@dataclass(frozen=True)
class ProofOutcome:
    proven: tuple[str, ...]  # receipt hashes proven and kept
    faults: tuple[str, ...]  # why a receipt could not be proven (the platform's fault)


def _kept_receipts(key_dir: Path, tender_id: str) -> list[dict[str, Any]]:
    path = key_dir / BOOK_NAME
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        envelope = json.loads(line)
        payload = json.loads(envelope["payload"])
        if envelope.get("type") == "receipt" and payload.get("tender") == tender_id:
            found.append(envelope)
    return found


async def prove_receipts(
    client: BidderClient,
    key_dir: Path,
    tender_id: str,
    log_vkey: str | None,
    say: Callable[[str], None],
) -> ProofOutcome:
    """Fetch, check and keep the tlog-proof of every receipt of `tender_id` kept in KEYDIR."""
    if log_vkey is None:
        log_vkey = (await client.http.get_text("/log/vkey")).strip()
        say(f"注意 note: the log's key was taken from the hub ({log_vkey}); give --log VKEY")
    policy = LogPolicy(ed25519_verifier(log_vkey))
    server_key = (await client.server_key()).key
    folder = key_dir / PROOFS
    proven: list[str] = []
    faults: list[str] = []
    for envelope in _kept_receipts(key_dir, tender_id):
        payload = json.loads(envelope["payload"])
        digest = hashlib.sha256(envelope["payload"].encode()).hexdigest()
        label = f"receipt {payload.get('receipt_id')} (lot {payload.get('lot')})"
        try:
            text = await client.http.get_text(f"/api/sessions/{tender_id}/receipts/{digest}/proof")
            index, size = check_receipt_proof(text.encode(), envelope, policy, server_key)
        except ClientError as error:
            faults.append(
                f"the platform's fault: {label} is missing from the public log ({error.code})"
            )
            continue
        except (VerificationFailed, LogError) as error:
            faults.append(f"the platform's fault: {label}: {error}")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{digest}.tlog-proof").write_text(text, encoding="utf-8")
        proven.append(digest)
        say(
            f"已在公开日志中 {label} is entry {index} of the public log (checkpoint of size"
            f" {size}); proof kept in {folder / (digest + '.tlog-proof')}"
        )
    return ProofOutcome(tuple(proven), tuple(faults))
