// The browser's bundle check (static/js/verify/) against tests/vectors/bundle: a real
// opening's bundle and copies tampered with, each with the answer `bidopen verify` gives
// (tests/vectors/make_bundle_vectors.py writes them; tests/tlog/test_bundle_vectors.py holds
// Python to the same answers). Same verdict, same reason, word for word.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import * as bidseal from "../src/bidseal/index.js";
import { cosignatureVerifier, ed25519Verifier, logPolicy } from "../static/js/tlog/note.js";
import { VerificationFailed, checkBidderStatement, verifyBundle } from "../static/js/verify/bundle-check.js";
import { canonicalJson } from "../static/js/verify/digest.js";
import { checkReceiptProof } from "../static/js/verify/receipt-proof.js";
import { buildRecord } from "../static/js/verify/record-build.js";
import { DOES_NOT_FOLLOW, checkRecord, difference, statedPart } from "../static/js/verify/record-check.js";
import { EMPTY, replayEvents } from "../static/js/verify/replay.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const VECTORS = path.join(ROOT, "tests", "vectors", "bundle");
const read = (name) => readFileSync(path.join(VECTORS, name), "utf8");
const MANIFEST = JSON.parse(read("manifest.json"));
const SERVER_KEY = JSON.parse(read("server-key.json")).key;
const RECEIPTS = read("receipts.jsonl").split("\n").filter(Boolean).map((line) => JSON.parse(line));

function trustOf(spec) {
  return {
    logVkey: spec.log ?? null,
    witnesses: spec.witnesses ?? [],
    quorum: spec.quorum ?? 0,
    serverKey: spec.server_key ? JSON.parse(read(spec.server_key)).key : null,
    receipts: spec.receipts ? read(spec.receipts).split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [],
    oldCheckpoint: spec.old ? read(spec.old) : null,
  };
}

async function verdict(bundle, trust) {
  try {
    await verifyBundle(bundle, trust, bidseal.verifySignedDocument, bidseal);
    return "VERIFIED";
  } catch (error) {
    if (error instanceof VerificationFailed) return error.reason;
    throw error;
  }
}

describe("bundle vectors: the browser answers as bidopen verify does", () => {
  test("the vectors cover acceptance and at least ten refusals", () => {
    const refusals = MANIFEST.cases.filter((c) => c.expect !== "VERIFIED");
    assert.ok(MANIFEST.cases.length - refusals.length >= 3);
    assert.ok(refusals.length >= 10);
  });
  for (const c of MANIFEST.cases) {
    test(`${c.name}: ${c.what}`, async () => {
      assert.equal(await verdict(JSON.parse(read(c.bundle)), trustOf(c.trust)), c.expect);
    });
  }
  test("the verified report says what it checked", async () => {
    const base = MANIFEST.cases.find((c) => c.name === "held-to-photo");
    const report = await verifyBundle(JSON.parse(read(base.bundle)), trustOf(base.trust), bidseal.verifySignedDocument, bidseal);
    const keys = report.lines.map((l) => l.key);
    for (const key of ["checkpoint", "old", "entries", "events", "replay", "statements", "batch", "record", "record_follows", "receipt"]) {
      assert.ok(keys.includes(key), key);
    }
    assert.match(report.lines[0].text, /2 of 2 witnesses cosigned \(quorum 2\)/);
    assert.deepEqual(report.warnings.map((w) => w.key), ["bidder_keys_from_bundle"]);
  });
  test("without trust given, the bundle's own keys are used and the report says so", async () => {
    const report = await verifyBundle(JSON.parse(read("opening.bundle.json")), {}, bidseal.verifySignedDocument, bidseal);
    assert.deepEqual(report.warnings.map((w) => w.key), ["log_key_from_bundle", "bidder_keys_from_bundle", "server_key_from_bundle"]);
  });
});

/** The opening's events (as the log holds them), and the state replayed up to the record's publication. */
async function opening() {
  const bundle = JSON.parse(read("opening.bundle.json"));
  const events = bundle.entries.map((e) => JSON.parse(Buffer.from(e.entry, "base64").toString("utf8"))).filter((e) => e.type === "event");
  const { recordState } = await replayEvents(events);
  return { bundle, events, recordState, record: JSON.parse(JSON.parse(bundle.records.at(-1)).payload) };
}

describe("the record rebuilt from the replay and compared whole, as bidopen verify does", async () => {
  const { events, recordState, record } = await opening();
  const refused = async (change, member) => {
    const copy = structuredClone(record);
    change(copy);
    await assert.rejects(
      () => checkRecord(copy, recordState, record.leaves),
      (error) => error instanceof VerificationFailed && error.reason === DOES_NOT_FOLLOW && error.detail === `the replayed record differs in ${member}`,
    );
  };
  test("the signed record follows", async () => {
    assert.deepEqual(await checkRecord(record, recordState, record.leaves), { earlier: false, events: 17, bids: 5 });
  });
  test("the rebuilt record is the signed one, member for member", async () => {
    assert.equal(canonicalJson(await buildRecord(recordState, record.leaves)), canonicalJson(record));
  });
  // What only the replay gives: no event states these directly.
  test("a pause invented", () => refused((r) => { r.pauses.push({ phase: "decryption", reason: "网络故障", started_at: r.times.decryption_started_at, ended_at: r.times.decryption_closed_at }); }, "pauses"));
  test("an extension invented", () => refused((r) => { r.extensions.push({ seconds: 300, reason: "补时", ends_at: r.times.decryption_closed_at, at: r.times.decryption_started_at }); }, "extensions"));
  test("a failed decryption attempt invented", () => refused((r) => { r.bids[1].failed_attempts = 2; }, "bids[1].failed_attempts"));
  test("a platform fault invented", () => refused((r) => { r.platform_faults.push({ bidder: null, reason: "全网故障", reported_by: "host", at: r.times.decryption_started_at }); }, "platform_faults"));
  test("a time moved", () => refused((r) => { r.times.read_out_at = r.times.decryption_started_at; }, "times.read_out_at"));
  test("an objection's answer changed", () => refused((r) => { r.objections[0].answer = "不予受理"; }, "objections[0].answer"));
  test("a quorum decision invented", () => refused((r) => { r.quorum_decisions.push({ lot: "1", choice: "continue", reason: "主持人决定", automatic: false, at: r.times.deadline_passed_at }); }, "quorum_decisions"));
  test("a rescheduling invented", () => refused((r) => { r.reschedulings.push({ previous_deadline: r.times.deadline, deadline: r.times.deadline, reason: "延期", at: r.times.scheduled_at }); }, "reschedulings"));
  test("a lot's bid count changed", () => refused((r) => { r.lots[0].bid_count = 4; }, "lots[0].bid_count"));
  test("an abort invented", () => refused((r) => { r.aborted = { phase: "confirmation", reason: "终止", at: r.times.confirmation_closed_at }; }, "aborted"));
  test("the tender's parties changed", () => refused((r) => { r.tender.tendered_by_law = true; }, "tender.tendered_by_law"));
  // What the events state directly is held too.
  test("a confirmation's signature changed", () => refused((r) => { r.confirmed[0].signature = r.confirmed[1].signature; }, "confirmed[0].signature"));
  test("a leaf renamed", () => refused((r) => { r.leaves.bids[0] += 1; }, "leaves.bids[0]"));
  test("the read-out hash changed", () => refused((r) => { r.readout_sha256 = "0".repeat(64); }, "readout_sha256"));
  test("a read-out value changed", () => refused((r) => { r.readout[0].lines[0].items.price = "1.00"; }, "readout[0].lines[0].items.price"));
  test("a status changed", () => refused((r) => { r.bids[0].status = "failed"; }, "bids[0].status"));
  test("a bid left out", () => refused((r) => { r.bids.pop(); }, "bids"));
  test("a silent bidder not deemed to accept", () => refused((r) => { r.deemed_accepted = []; }, "deemed_accepted"));
  test("a member no record has", () => refused((r) => { r.note = "x"; }, "note"));
  test("a current-format record without its signatures and leaves does not follow", async () => {
    await refused((r) => { for (const c of r.confirmed) delete c.signature; }, "confirmed[0].signature");
    await refused((r) => { delete r.leaves; }, "leaves");
    await refused((r) => { delete r.readout_sha256; }, "readout_sha256");
  });
  test("compared as Python compares loaded JSON: true is 1, members in any order", () => {
    assert.equal(difference({ a: 1, b: [true] }, { b: [1], a: 1 }), null);
    assert.equal(difference({ a: 0 }, { a: null }), "a");
    assert.equal(difference([1, 2], [1]), "");
  });
  test("an event that cannot follow is refused as bidopen verify refuses it", async () => {
    const moved = [events[0], events[2], events[1], ...events.slice(3)].map((e, i) => ({ ...e, seq: i + 1 }));
    await assert.rejects(
      () => replayEvents(moved),
      (error) => error instanceof VerificationFailed && error.reason === 'event 2 (decryption_started) does not replay: event decryption_started cannot follow phase "scheduled"',
    );
  });
});

describe("a record signed in an earlier format: each member it states follows, as bidopen verify checks it", async () => {
  const { recordState, record: current } = await opening();
  /** The record as a hub of format 3 (or 2, without cause items) signed it. */
  function earlier(format = "bidopen-opening-record/3") {
    const r = structuredClone(current);
    delete r.readout_sha256;
    delete r.leaves;
    for (const c of r.confirmed) delete c.signature;
    for (const o of r.objections) delete o.nonce, delete o.signature;
    if (format === "bidopen-opening-record/2") {
      for (const b of r.bids) delete b.cause_item;
      for (const lot of r.readout) for (const line of lot.lines) delete line.item;
    }
    r.format = format;
    return r;
  }
  const refused = async (change, member) => {
    const copy = earlier();
    change(copy);
    await assert.rejects(
      () => checkRecord(copy, recordState, current.leaves),
      (error) => error instanceof VerificationFailed && error.reason === DOES_NOT_FOLLOW && error.detail === `the replayed record differs in ${member}`,
    );
  };
  test("format 3 follows: what it does not state is not claimed", async () => {
    assert.equal((await checkRecord(earlier(), recordState, current.leaves)).earlier, true);
  });
  test("format 2 without cause items follows", async () => {
    assert.equal((await checkRecord(earlier("bidopen-opening-record/2"), recordState, current.leaves)).earlier, true);
  });
  test("statedPart keeps only what the signed part states, at every depth", () => {
    assert.deepEqual(statedPart({ a: 1, b: [{ c: 2, d: 3 }] }, { b: [{ c: 9 }] }), { b: [{ c: 2 }] });
    assert.deepEqual(statedPart([1, 2], [1]), [1, 2]);
  });
  test("a read-out value changed", () => refused((r) => { r.readout[0].lines[0].items.price = "1.00"; }, "readout[0].lines[0].items.price"));
  test("a read-out line stating a member the log has not", () => refused((r) => { r.readout[0].lines[0].note = "x"; }, "readout[0].lines[0].note"));
  test("a confirmation's time changed", () => refused((r) => { r.confirmed[0].at = r.confirmed[1].at.replace(/\d\dZ$/, "00Z"); }, "confirmed[0].at"));
  test("a status changed", () => refused((r) => { r.bids[0].status = "failed"; }, "bids[0].status"));
  test("a silent bidder not deemed to accept", () => refused((r) => { r.deemed_accepted = []; }, "deemed_accepted"));
  test("a pause invented", () => refused((r) => { r.pauses.push({ phase: "decryption", reason: "网络故障", started_at: r.times.scheduled_at, ended_at: null }); }, "pauses"));
  test("leaves it states are still checked", () => refused((r) => { r.leaves = { events: [], bids: [] }; }, "leaves.events"));
});

describe("bidders' statements: an objection to a result is checked against the bidder's key", () => {
  const session = "T1";
  const state = { ...EMPTY, tender_id: session };
  async function bidder() {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    const point = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return { keys: { signing: { privateKey: pair.privateKey } }, signingKey: bidseal.b64uEncode(point) };
  }
  async function objection(who, text, lot = "1") {
    const nonce = bidseal.b64uEncode(crypto.getRandomValues(new Uint8Array(16)));
    const signature = await bidseal.signStatement(who.keys, bidseal.resultObjectionMessage(session, "B1", lot, nonce, text));
    return { kind: "result_objection_raised", objection_id: "R1", lot, bidder: "B1", bidder_name: "乙公司", text, nonce, signature };
  }
  const keysOf = (b) => new Map([["B1", b.signingKey]]);
  test("the message is the one Python signs (docs/protocol.md 5.2.1)", () => {
    const text = new TextDecoder().decode(bidseal.resultObjectionMessage("T1", "B1", "1", "n0", "异议"));
    assert.equal(text, 'bidopen-result-objection/1\n{"bidder":"B1","lot":"1","nonce":"n0","session":"T1","text":"异议"}');
  });
  test("signed by the bidder: counted", async () => {
    const b = await bidder();
    assert.equal(await checkBidderStatement(state, await objection(b, "异议"), 7, keysOf(b), bidseal), "objections");
  });
  test("its text changed: refused as bidopen verify refuses it", async () => {
    const b = await bidder();
    const event = await objection(b, "异议");
    event.text = "撤回";
    await assert.rejects(
      () => checkBidderStatement(state, event, 7, keysOf(b), bidseal),
      (error) => error instanceof VerificationFailed && error.reason === "event 7: the objection R1 to the result of lot 1 of bidder B1 is not signed by the bidder's key",
    );
  });
  test("signed by another key: refused", async () => {
    const [b, other] = [await bidder(), await bidder()];
    await assert.rejects(
      async () => checkBidderStatement(state, await objection(other, "异议"), 7, keysOf(b), bidseal),
      (error) => error instanceof VerificationFailed,
    );
  });
  test("a bidder the bundle has no key of: refused", async () => {
    const b = await bidder();
    await assert.rejects(
      async () => checkBidderStatement(state, await objection(b, "异议"), 7, new Map(), bidseal),
      (error) => error instanceof VerificationFailed && error.reason === "event 7: the bundle has no key of bidder B1",
    );
  });
  test("logged before bidders signed them: named unsigned, not refused", async () => {
    const b = await bidder();
    const event = await objection(b, "异议");
    event.nonce = "";
    event.signature = "";
    assert.equal(await checkBidderStatement(state, event, 7, keysOf(b), bidseal), "unsigned");
  });
});

describe("a receipt's tlog-proof, as the bidder room checks it", () => {
  const spec = MANIFEST.receipt_proof;
  const proofText = read(spec.file);
  async function policy(quorum = 2) {
    return logPolicy(await ed25519Verifier(MANIFEST.log_vkey), await Promise.all(MANIFEST.witnesses.map(cosignatureVerifier)), quorum);
  }
  test("the receipt's bid is proven in the log", async () => {
    const found = await checkReceiptProof(proofText, RECEIPTS[spec.receipt], await policy(), SERVER_KEY, bidseal.verifySignedDocument);
    assert.equal(found.entry.receipt_sha256, spec.receipt_sha256);
    assert.ok(found.index < found.size);
  });
  test("another receipt is not proven by it", async () => {
    await assert.rejects(
      checkReceiptProof(proofText, RECEIPTS[spec.other_receipt], await policy(), SERVER_KEY, bidseal.verifySignedDocument),
      (error) => error instanceof VerificationFailed && error.reason === "the proven entry is not this receipt's bid",
    );
  });
  test("a changed hash of the proof is refused", async () => {
    const lines = proofText.split("\n");
    const at = lines.findIndex((l) => l.startsWith("index ")) + 1;
    lines[at] = Buffer.from(Buffer.from(lines[at], "base64").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64");
    await assert.rejects(
      checkReceiptProof(lines.join("\n"), RECEIPTS[spec.receipt], await policy(), SERVER_KEY, bidseal.verifySignedDocument),
      (error) => error instanceof VerificationFailed && error.reason === "the receipt's proof: the inclusion proof does not lead to the root hash",
    );
  });
});
