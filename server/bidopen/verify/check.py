"""Check a bundle (`bidopen.service.bundles`) with no server: signatures, proofs, replay.

Each check that passes adds a line to the report; the first that fails raises
`VerificationFailed` with one precise reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bidopen.session import (
    EMPTY,
    Leaves,
    OpeningSession,
    build_record,
    evolve,
    state_readout_sha256,
)
from bidopen.session.errors import SessionError
from bidopen.session.events import (
    BidderConfirmed,
    Event,
    ObjectionRaised,
    ResultObjectionRaised,
    event_from_payload,
)
from bidopen.store.eventlog import canonical_json
from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.cosignature import CosignatureVerifier
from bidopen.tlog.errors import LogError
from bidopen.tlog.merkle import leaf_hash, verify_consistency, verify_inclusion
from bidopen.tlog.note import ed25519_verifier
from bidopen.tlog.policy import LogPolicy
from bidopen.tlog.proof import TlogProof
from bidseal import InvalidSignedDocument, verify_document
from bidseal.codec import b64u_decode
from bidseal.statements import (
    confirmation_message,
    objection_message,
    result_objection_message,
    verify_statement,
)

BUNDLE_FORMAT = "bidopen-bundle/1"
ENTRY_FORMAT = "bidopen-log-entry/1"


class VerificationFailed(Exception):
    """The first check that failed, with its reason."""


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def ok(self, line: str) -> None:
        self.lines.append(line)


@dataclass(frozen=True)
class Trust:
    """What the verifier brings from outside the bundle; None takes the bundle's own key."""

    log_vkey: str | None = None
    witnesses: tuple[CosignatureVerifier, ...] = ()
    quorum: int = 0
    server_key: bytes | None = None
    receipts: tuple[Mapping[str, Any], ...] = ()
    old_checkpoint: bytes | None = None  # a checkpoint saved earlier (a photograph, a witness)


def _fail(reason: str) -> VerificationFailed:
    return VerificationFailed(reason)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _fail("a bundle field is not base64") from exc


def verify_bundle(bundle: Mapping[str, Any], trust: Trust) -> Report:
    report = Report()
    session, entries = proven_entries(bundle, trust, report)
    events, bids = _split(entries, bundle.get("payloads") or {})
    report.ok(f"events 1..{len(events)} of the session are in the log, in order, with no gap")
    keys = _bidder_keys(bundle, report)
    state, record_state, signed, unsigned = _replay(events, keys)
    report.ok(f"the events replay through the session core: phase {state.phase.value}")
    if signed:
        report.ok(f"{signed} confirmations and objections are signed by their bidders' own keys")
    for seq in unsigned:
        report.ok(
            f"event {seq}: objection to a result unsigned "
            "(logged before bidders signed objections to results)"
        )
    _check_batch(entries, events, bids, report)
    server_key = _server_key(bundle, trust, report)
    leaves = _leaves_of(entries)
    # The bidder's own receipts first: a bid missing from the batch is the platform's fault,
    # the most precise reason there is (the record would also fail to follow).
    _check_receipts(trust.receipts, bids, events, server_key, session, report)
    _check_record(bundle, events, record_state, leaves, server_key, report)
    _check_results(bundle, events, leaves, server_key, report)
    return report


def proven_entries(
    bundle: Mapping[str, Any], trust: Trust, report: Report
) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """The bundle's checkpoint, checked against the trusted keys (and a checkpoint saved
    earlier), and its entries, each proven included under it."""
    if bundle.get("format") != BUNDLE_FORMAT:
        raise _fail(f"not a {BUNDLE_FORMAT} file")
    session = str(bundle["session"])
    log = bundle["log"]
    if trust.log_vkey is None:
        report.warnings.append(
            "the log's key was taken from the bundle itself: give --log VKEY (published by the "
            "trading centre) to know whose log this is"
        )
    try:
        verifier = ed25519_verifier(trust.log_vkey or str(log["vkey"]))
        policy = LogPolicy(verifier, trust.witnesses, trust.quorum)
        checkpoint, _note, cosigned = policy.open_checkpoint(str(log["checkpoint"]).encode())
    except LogError as exc:
        raise _fail(f"checkpoint: {exc}") from exc
    report.ok(
        f"checkpoint of {checkpoint.origin} at size {checkpoint.size} signed by the log key;"
        f" {cosigned} of {len(trust.witnesses)} witnesses cosigned (quorum {trust.quorum})"
    )
    if trust.old_checkpoint is not None:
        _check_old(bundle, LogPolicy(verifier), trust.old_checkpoint, checkpoint, report)
    entries = _proven_entries(bundle, checkpoint.size, checkpoint.root, session)
    report.ok(f"{len(entries)} entries of session {session} are in that tree (inclusion proofs)")
    return session, entries


def _check_old(
    bundle: Mapping[str, Any],
    policy: LogPolicy,
    old_note: bytes,
    checkpoint: Checkpoint,
    report: Report,
) -> None:
    try:
        old = policy.open_checkpoint(old_note)[0]
    except LogError as exc:
        raise _fail(f"the saved checkpoint: {exc}") from exc
    if old.size > checkpoint.size:
        raise _fail(f"the saved checkpoint (size {old.size}) is newer than the bundle's")
    if old.size == checkpoint.size:
        if old.root != checkpoint.root:
            raise _fail("the log was rewritten: the saved checkpoint has another root")
    else:
        given = bundle.get("consistency") or {}
        if given.get("old_size") != old.size:
            raise _fail(
                f"the bundle has no consistency proof from size {old.size}"
                f" (download it with ?old={old.size})"
            )
        proof = [_b64(h) for h in given["proof"]]
        try:
            verify_consistency(old.size, checkpoint.size, proof, old.root, checkpoint.root)
        except LogError as exc:
            raise _fail(f"the log was rewritten since the saved checkpoint: {exc}") from exc
    report.ok(f"the saved checkpoint of size {old.size} is consistent with this one (append-only)")


def _proven_entries(
    bundle: Mapping[str, Any], size: int, root: bytes, session: str
) -> list[tuple[int, dict[str, Any]]]:
    found = []
    last = -1
    for item in bundle["entries"]:
        index, entry = int(item["index"]), _b64(item["entry"])
        proof = [_b64(h) for h in item["proof"]]
        try:
            verify_inclusion(leaf_hash(entry), index, size, proof, root)
        except LogError as exc:
            raise _fail(f"entry {index}: {exc}") from exc
        if index <= last:
            raise _fail(f"entry {index} is out of log order")
        last = index
        body = json.loads(entry)
        if body.get("format") != ENTRY_FORMAT or body.get("session") != session:
            raise _fail(f"entry {index} is not an entry of session {session}")
        found.append((index, body))
    return found


def _split(
    entries: Sequence[tuple[int, dict[str, Any]]], payloads: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    bids: list[dict[str, Any]] = []
    for index, body in entries:
        if body["type"] == "bid":
            bids.append(body)
            continue
        if body["seq"] != len(events) + 1:
            raise _fail(f"entry {index}: event {body['seq']} where {len(events) + 1} was due")
        if "payload" not in body:
            payload = payloads.get(str(body["seq"]))
            digest = hashlib.sha256(canonical_json(payload)).hexdigest()
            if payload is None or digest != body["payload_sha256"]:
                raise _fail(f"entry {index}: the payload kept beside the log does not match")
            body = {**body, "payload": payload}
        events.append(body)
    return events, bids


def _bidder_keys(bundle: Mapping[str, Any], report: Report) -> dict[str, bytes]:
    keys = bundle.get("bidder_keys") or {}
    if keys:
        report.warnings.append(
            "the bidders' keys were taken from the bundle: each bidder can compare its own"
            " with its bidder-public.json"
        )
    try:
        return {str(b): b64u_decode(str(k["signing_key"])) for b, k in keys.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail("the bundle's bidder keys are unreadable") from exc


def replay_events(
    events: Sequence[Mapping[str, Any]],
    check: Callable[[OpeningSession, Event, int], None] | None = None,
) -> tuple[OpeningSession, OpeningSession | None]:
    """The state after every event ({seq, kind, payload} as the log holds them) and the state
    the record was built from (before its publication; None when none is logged). `check`
    sees each event, with its seq, in the state it follows, before it is applied. An event
    that does not decode or cannot follow fails: the /verify page's replay
    (client_web/static/js/verify/replay.js) words it the same."""
    state: OpeningSession = EMPTY
    record_state: OpeningSession | None = None
    for body in events:
        if body["kind"] == "record_published":
            record_state = state
        try:
            event = event_from_payload(body["kind"], body["payload"])
            if check is not None:
                check(state, event, body["seq"])
            state = evolve(state, event)
        except (SessionError, KeyError, TypeError, ValueError) as exc:
            raise _fail(f"event {body['seq']} ({body['kind']}) does not replay: {exc}") from exc
    return state, record_state


def _replay(
    events: Sequence[dict[str, Any]], keys: Mapping[str, bytes]
) -> tuple[OpeningSession, OpeningSession | None, int, list[int]]:
    """The state after every event, the state the record was built from, how many bidder
    signatures were checked (each against the state the bidder signed in), and the seqs of
    objections to results logged unsigned, before bidders signed them."""
    signed: list[int] = []
    unsigned: list[int] = []

    def check(state: OpeningSession, event: Event, seq: int) -> None:
        if isinstance(event, ResultObjectionRaised) and not event.signature:
            unsigned.append(seq)
        else:
            signed.append(_check_bidder_signature(state, event, keys, seq))

    state, record_state = replay_events(events, check)
    return state, record_state, sum(signed), unsigned


def _check_bidder_signature(
    state: OpeningSession, event: Event, keys: Mapping[str, bytes], seq: int
) -> int:
    """1 if `event` is a bidder's statement whose signature verifies, 0 if it is no statement."""
    if isinstance(event, BidderConfirmed):
        what = "confirmation"
        message = confirmation_message(state.tender_id, event.bidder, state_readout_sha256(state))
    elif isinstance(event, ObjectionRaised):
        what = f"objection {event.objection_id}"
        message = objection_message(
            state.tender_id, event.bidder, event.lot, event.nonce, event.text
        )
    elif isinstance(event, ResultObjectionRaised):
        what = f"objection {event.objection_id} to the result of lot {event.lot}"
        message = result_objection_message(
            state.tender_id, event.bidder, event.lot, event.nonce, event.text
        )
    else:
        return 0
    key = keys.get(event.bidder)
    if key is None:
        raise _fail(f"event {seq}: the bundle has no key of bidder {event.bidder}")
    if not event.signature:
        raise _fail(f"event {seq}: the {what} of bidder {event.bidder} is not signed by the bidder")
    if not verify_statement(key, message, event.signature):
        raise _fail(
            f"event {seq}: the {what} of bidder {event.bidder} is not signed by the bidder's key"
        )
    return 1


def _leaves_of(entries: Sequence[tuple[int, dict[str, Any]]]) -> tuple[list[int], list[int]]:
    """The leaf of each event (seq order) and of each bid entry (log order)."""
    events = [index for index, body in entries if body["type"] != "bid"]
    bids = [index for index, body in entries if body["type"] == "bid"]
    return events, bids


def _check_batch(
    entries: Sequence[tuple[int, dict[str, Any]]],
    events: Sequence[dict[str, Any]],
    bids: Sequence[dict[str, Any]],
    report: Report,
) -> None:
    deadline = next((e for e in events if e["kind"] == "deadline_passed"), None)
    if deadline is None:
        if bids:
            raise _fail("bid entries appear before the deadline event")
        report.ok("the deadline has not passed in the log: no bid is in it")
        return
    positions = [n for n, (_i, body) in enumerate(entries) if body["type"] == "bid"]
    where = next(n for n, (_i, b) in enumerate(entries) if b.get("kind") == "deadline_passed")
    if positions != list(range(where - len(positions), where)):
        raise _fail("the bid entries are not one batch right before the deadline event")
    current = {(b["lot"], b["bidder"], b["bid_sha256"]) for b in bids if b["status"] == "current"}
    announced = {
        (b["lot"], b["bidder"], b["bid_sha256"]) for b in deadline["payload"].get("bids", [])
    }
    if current != announced:
        raise _fail("the deadline event's bids are not the current bids of the batch")
    received = [b["received_at"] for b in bids]
    if received != sorted(received):
        raise _fail("the deadline batch is not in receipt order")
    report.ok(
        f"the deadline batch holds {len(bids)} bids ({len(current)} current), in receipt order,"
        " and the deadline event names exactly the current ones"
    )


def _server_key(bundle: Mapping[str, Any], trust: Trust, report: Report) -> bytes:
    if trust.server_key is not None:
        return trust.server_key
    report.warnings.append("the server's key was taken from the bundle: give --server-key")
    return b64u_decode(str(bundle["server_key"]["key"]))


def _signed(text: str, kind: str, key: bytes) -> tuple[dict[str, object], str]:
    try:
        payload = verify_document(text, kind, key)
    except InvalidSignedDocument as exc:
        raise _fail(f"the {kind} is not signed by the server key: {exc}") from exc
    return payload, hashlib.sha256(json.loads(text)["payload"].encode()).hexdigest()


def _check_record(
    bundle: Mapping[str, Any],
    events: Sequence[dict[str, Any]],
    record_state: OpeningSession | None,
    leaves: tuple[list[int], list[int]],
    key: bytes,
    report: Report,
) -> None:
    published = [e for e in events if e["kind"] == "record_published"]
    records = list(bundle.get("records") or [])
    if not published:
        if records:
            raise _fail("a record is in the bundle but its publication is not in the log")
        report.ok("no record has been published yet")
        return
    if not records:
        raise _fail("the log says a record was published but the bundle has none")
    payload, digest = _signed(records[-1], "opening-record", key)
    if digest != published[-1]["payload"]["sha256"]:
        raise _fail("the signed record is not the one whose hash the log holds")
    assert record_state is not None
    before = published[-1]["seq"] - 1
    named = Leaves(tuple(leaves[0][:before]), tuple(leaves[1]))
    rebuilt = json.loads(json.dumps(build_record(record_state, named)))
    earlier = payload.get("format") in _EARLIER_RECORDS
    if earlier:
        # A record signed in an earlier format states fewer members: each one it states must
        # be the replayed one; what its format did not have it does not claim.
        rebuilt = {**stated_part(rebuilt, payload), "format": payload["format"]}
    if rebuilt != payload:
        raise _fail("the signed record does not follow from the events (replayed record differs)")
    report.ok("the opening record is signed by the server, is the one the log names, and follows")
    if earlier:
        report.ok(f"  from the events: every member its format ({payload.get('format')}) states")
        return
    report.ok("  from the events: every status, read-out line, deemed acceptance, bidder's")
    report.ok(f"  signature and leaf ({before} events, {len(leaves[1])} bids)")


_EARLIER_RECORDS = ("bidopen-opening-record/2", "bidopen-opening-record/3")


def stated_part(rebuilt: Any, signed: Any) -> Any:
    """`rebuilt` cut to the members `signed` states, at every depth (a list keeps its length:
    element by element when both have the same). A member `signed` states that the replay
    has not is left out, so the two differ."""
    if isinstance(rebuilt, dict) and isinstance(signed, dict):
        return {k: stated_part(rebuilt[k], v) for k, v in signed.items() if k in rebuilt}
    if isinstance(rebuilt, list) and isinstance(signed, list) and len(rebuilt) == len(signed):
        return [stated_part(r, v) for r, v in zip(rebuilt, signed, strict=True)]
    return rebuilt


_RESULTS_WITHOUT_LEAVES = ("bidopen-evaluation-result/1", "bidopen-evaluation-result/2")


def _check_results(
    bundle: Mapping[str, Any],
    events: Sequence[dict[str, Any]],
    leaves: tuple[list[int], list[int]],
    key: bytes,
    report: Report,
) -> None:
    seqs = {e["payload"]["sha256"]: e["seq"] for e in events if e["kind"] == "result_published"}
    for text in bundle.get("results") or []:
        payload, digest = _signed(text, "evaluation-result", key)
        if digest not in seqs:
            raise _fail("a signed result is not one whose hash the log holds")
        named = Leaves(tuple(leaves[0][: seqs[digest] - 1]), tuple(leaves[1])).encode()
        if "leaves" not in payload and payload.get("format") in _RESULTS_WITHOUT_LEAVES:
            continue  # signed before results named their leaves; the log still names it
        if payload.get("leaves") != named:
            raise _fail(f"the result of lot {payload.get('lot')} names other leaves than the log's")
    if seqs:
        report.ok(
            f"{len(seqs)} published results are signed, named by the log and name their leaves"
        )


def _check_receipts(
    receipts: Sequence[Mapping[str, Any]],
    bids: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    key: bytes,
    session: str,
    report: Report,
) -> None:
    if not receipts:
        return
    if not any(e["kind"] == "deadline_passed" for e in events):
        raise _fail("receipts were given but the deadline batch is not in the log yet")
    in_batch = {b["receipt_sha256"] for b in bids}
    for envelope in receipts:
        if envelope.get("type") != "receipt":
            continue
        text = json.dumps(envelope, ensure_ascii=False)
        payload, digest = _signed(text, "receipt", key)
        if payload.get("tender") != session:
            continue
        if digest not in in_batch:
            raise _fail(
                f"the platform's fault: signed receipt {payload.get('receipt_id')} for bid "
                f"{payload.get('bid_sha256')} is missing from the deadline batch"
            )
        report.ok(f"receipt {payload.get('receipt_id')} ({digest[:16]}…) is in the deadline batch")


def check_receipt_proof(
    proof_text: bytes, receipt: Mapping[str, Any], policy: LogPolicy, server_key: bytes
) -> tuple[int, int]:
    """(index, tree size): the receipt's bid is in the log under a checkpoint the policy
    accepts. The entry travels in the proof's `extra`; it must name this receipt."""
    payload, digest = _signed(json.dumps(receipt, ensure_ascii=False), "receipt", server_key)
    try:
        proof = TlogProof.parse(proof_text)
        if proof.extra is None:
            raise _fail("the proof carries no entry")
        checkpoint = proof.verify(proof.extra, policy)
    except LogError as exc:
        raise _fail(f"the receipt's proof: {exc}") from exc
    entry = json.loads(proof.extra)
    expected = {
        "type": "bid",
        "session": payload.get("tender"),
        "bid_sha256": payload.get("bid_sha256"),
        "receipt_sha256": digest,
    }
    if any(entry.get(k) != v for k, v in expected.items()):
        raise _fail("the proven entry is not this receipt's bid")
    return proof.index, checkpoint.size
