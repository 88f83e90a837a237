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
import { VerificationFailed, checkStatements, verifyBundle } from "../static/js/verify/bundle-check.js";
import { checkReceiptProof } from "../static/js/verify/receipt-proof.js";
import { DOES_NOT_FOLLOW, checkRecordAgainstEvents, statedPart } from "../static/js/verify/record-check.js";

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
    for (const key of ["checkpoint", "old", "entries", "events", "batch", "record", "record_bids", "record_readout", "record_confirmations", "receipt"]) {
      assert.ok(keys.includes(key), key);
    }
    assert.match(report.lines[0].text, /2 of 2 witnesses cosigned \(quorum 2\)/);
    assert.deepEqual(report.warnings, []);
  });
  test("without trust given, the bundle's own keys are used and the report says so", async () => {
    const report = await verifyBundle(JSON.parse(read("opening.bundle.json")), {}, bidseal.verifySignedDocument, bidseal);
    assert.deepEqual(report.warnings.map((w) => w.key), ["log_key_from_bundle", "server_key_from_bundle"]);
  });
});

describe("the record against the events (what the browser checks without the session core)", () => {
  const bundle = JSON.parse(read("opening.bundle.json"));
  const events = bundle.entries
    .map((e) => JSON.parse(Buffer.from(e.entry, "base64").toString("utf8")))
    .filter((e) => e.type === "event" && e.kind !== "record_published");
  const record = JSON.parse(JSON.parse(bundle.records.at(-1)).payload);
  const refused = async (change, part) => {
    const copy = structuredClone(record);
    change(copy);
    await assert.rejects(
      () => checkRecordAgainstEvents(copy, events, record.leaves),
      (error) => error instanceof VerificationFailed && error.reason === DOES_NOT_FOLLOW && error.detail.startsWith(part),
    );
  };
  test("the signed record follows", async () => assert.equal((await checkRecordAgainstEvents(record, events, record.leaves)).length, 3));
  test("a confirmation's signature changed", () => refused((r) => { r.confirmed[0].signature = r.confirmed[1].signature; }, "confirmed"));
  test("a leaf renamed", () => refused((r) => { r.leaves.bids[0] += 1; }, "leaves"));
  test("the read-out hash changed", () => refused((r) => { r.readout_sha256 = "0".repeat(64); }, "readout_sha256"));
  test("a read-out value changed", () => refused((r) => { r.readout[0].lines[0].items.price = "1.00"; }, "readout"));
  test("a status changed", () => refused((r) => { r.bids[0].status = "failed"; }, "bids"));
  test("a bid left out", () => refused((r) => { r.bids.pop(); }, "bids"));
  test("a silent bidder not deemed to accept", () => refused((r) => { r.deemed_accepted = []; }, "deemed_accepted"));
  test("a confirmation invented", () => refused((r) => { r.confirmed.push({ bidder: r.deemed_accepted[0], at: r.confirmed[0].at }); }, "confirmed"));
  test("a current-format record without its signatures and leaves does not follow", async () => {
    await refused((r) => { for (const c of r.confirmed) delete c.signature; }, "confirmed");
    await refused((r) => { delete r.leaves; }, "leaves");
    await refused((r) => { delete r.readout_sha256; }, "readout_sha256");
  });
});

describe("a record signed in an earlier format: each member it states follows, as bidopen verify checks it", () => {
  const bundle = JSON.parse(read("opening.bundle.json"));
  const events = bundle.entries
    .map((e) => JSON.parse(Buffer.from(e.entry, "base64").toString("utf8")))
    .filter((e) => e.type === "event" && e.kind !== "record_published");
  const current = JSON.parse(JSON.parse(bundle.records.at(-1)).payload);
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
  const refused = async (change, part) => {
    const copy = earlier();
    change(copy);
    await assert.rejects(
      () => checkRecordAgainstEvents(copy, events, current.leaves),
      (error) => error instanceof VerificationFailed && error.reason === DOES_NOT_FOLLOW && error.detail.startsWith(part),
    );
  };
  test("format 3 follows: what it does not state is not claimed", async () => {
    assert.equal((await checkRecordAgainstEvents(earlier(), events, current.leaves)).length, 3);
  });
  test("format 2 without cause items follows", async () => {
    assert.equal((await checkRecordAgainstEvents(earlier("bidopen-opening-record/2"), events, current.leaves)).length, 3);
  });
  test("statedPart keeps only what the signed part states, at every depth", () => {
    assert.deepEqual(statedPart({ a: 1, b: [{ c: 2, d: 3 }] }, { b: [{ c: 9 }] }), { b: [{ c: 2 }] });
    assert.deepEqual(statedPart([1, 2], [1]), [1, 2]);
  });
  test("a read-out value changed", () => refused((r) => { r.readout[0].lines[0].items.price = "1.00"; }, "readout"));
  test("a read-out line stating a member the log has not", () => refused((r) => { r.readout[0].lines[0].note = "x"; }, "readout"));
  test("a confirmation's time changed", () => refused((r) => { r.confirmed[0].at = r.confirmed[1].at.replace(/\d\dZ$/, "00Z"); }, "confirmed"));
  test("a status changed", () => refused((r) => { r.bids[0].status = "failed"; }, "bids"));
  test("a silent bidder not deemed to accept", () => refused((r) => { r.deemed_accepted = []; }, "deemed_accepted"));
  test("leaves it states are still checked", () => refused((r) => { r.leaves = { events: [], bids: [] }; }, "leaves"));
});

describe("bidders' statements: an objection to a result is checked against the bidder's key", () => {
  const session = "T1";
  async function bidder() {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    const point = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return { keys: { signing: { privateKey: pair.privateKey } }, signingKey: bidseal.b64uEncode(point) };
  }
  async function objection(who, text, lot = "1") {
    const nonce = bidseal.b64uEncode(crypto.getRandomValues(new Uint8Array(16)));
    const signature = await bidseal.signStatement(who.keys, bidseal.resultObjectionMessage(session, "B1", lot, nonce, text));
    return { seq: 7, kind: "result_objection_raised", payload: { objection_id: "R1", lot, bidder: "B1", text, nonce, signature } };
  }
  const lines = () => {
    const out = [];
    return { lines: out, ok: (key, facts, text) => out.push({ key, facts, text }) };
  };
  test("the message is the one Python signs (docs/protocol.md 5.2.1)", () => {
    const text = new TextDecoder().decode(bidseal.resultObjectionMessage("T1", "B1", "1", "n0", "异议"));
    assert.equal(text, 'bidopen-result-objection/1\n{"bidder":"B1","lot":"1","nonce":"n0","session":"T1","text":"异议"}');
  });
  test("signed by the bidder: counted", async () => {
    const b = await bidder();
    const out = lines();
    await checkStatements([await objection(b, "异议")], { B1: { signing_key: b.signingKey } }, session, bidseal, out);
    assert.deepEqual(out.lines.map((l) => [l.key, l.facts]), [["statements", { confirmations: 0, objections: 1 }]]);
  });
  test("its text changed: refused as bidopen verify refuses it", async () => {
    const b = await bidder();
    const event = await objection(b, "异议");
    event.payload.text = "撤回";
    await assert.rejects(
      () => checkStatements([event], { B1: { signing_key: b.signingKey } }, session, bidseal, lines()),
      (error) => error instanceof VerificationFailed && error.reason === "event 7: the objection R1 to the result of lot 1 of bidder B1 is not signed by the bidder's key",
    );
  });
  test("signed by another key: refused", async () => {
    const [b, other] = [await bidder(), await bidder()];
    await assert.rejects(
      async () => checkStatements([await objection(other, "异议")], { B1: { signing_key: b.signingKey } }, session, bidseal, lines()),
      (error) => error instanceof VerificationFailed,
    );
  });
  test("logged before bidders signed them: named unsigned, not refused", async () => {
    const b = await bidder();
    const event = await objection(b, "异议");
    event.payload.nonce = "";
    event.payload.signature = "";
    const out = lines();
    await checkStatements([event], { B1: { signing_key: b.signingKey } }, session, bidseal, out);
    assert.deepEqual(out.lines.map((l) => [l.key, l.facts]), [["result_objection_unsigned", { seq: 7 }]]);
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
