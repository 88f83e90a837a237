// An opening's bundle (GET /api/sessions/{id}/bundle) checked in the browser, with nothing
// sent anywhere: the log's checkpoint and the witnesses' cosignatures, every inclusion proof,
// the deadline batch, the signed record and results, and the receipts the user kept.
//
// The twin of server/bidopen/verify/check.py: the same checks in the same order, and the
// first failure is a VerificationFailed whose reason is word for word the one `bidopen
// verify` prints. Every event is replayed through the session core's twin (replay.js), and
// the signed record is compared whole with the one rebuilt from the replay (record-check.js).
//
// Pure apart from WebCrypto: the caller passes the signed-document verifier of bidseal
// (verifySignedDocument), so the module runs the same in a page and under node.

import { LogError } from "../tlog/errors.js";
import { leafHash, verifyConsistency, verifyInclusion } from "../tlog/merkle.js";
import { cosignatureVerifier, ed25519Verifier, logPolicy } from "../tlog/note.js";
import { canonicalJson, readoutSha256, sha256Hex } from "./digest.js";
import { VerificationFailed } from "./failure.js";
import { checkRecord as checkRecordFollows, difference } from "./record-check.js";
import { pyStr } from "./python-text.js";
import { replayEvents } from "./replay.js";

export { VerificationFailed };

export const BUNDLE_FORMAT = "bidopen-bundle/1";
export const ENTRY_FORMAT = "bidopen-log-entry/1";

const fail = (reason, detail) => new VerificationFailed(reason, detail);
const encoder = new TextEncoder();

/** Lenient standard base64 of a bundle field (Python's b64decode(validate=True)). */
function b64(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/u.test(text) || text.length % 4 !== 0) {
    throw fail("a bundle field is not base64");
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function report() {
  const lines = [];
  const warnings = [];
  return {
    lines,
    warnings,
    /** @param {string} key @param {Record<string, unknown>} facts @param {string} text */
    ok: (key, facts, text) => lines.push({ key, facts, text }),
    warn: (key, text) => warnings.push({ key, text }),
  };
}

/**
 * @typedef {object} Trust what the user brings from outside the bundle
 * @property {string | null} [logVkey] the log's verifier key; null takes the bundle's own
 * @property {string[]} [witnesses] witness verifier keys (cosignature/v1)
 * @property {number} [quorum] how many of them must have cosigned
 * @property {string | null} [serverKey] the hub's key (b64u, GET /api/server-key); null: the bundle's
 * @property {object[]} [receipts] signed receipts the user kept
 * @property {string | null} [oldCheckpoint] a checkpoint saved earlier (text)
 */

/**
 * @param {any} bundle the parsed bundle
 * @param {Trust} trust
 * @param {(envelope: any, type: string, key: string) => Promise<Record<string, unknown>>} verifyDocument
 * @param {{confirmationMessage: Function, objectionMessage: Function, resultObjectionMessage: Function, verifyStatement: Function}} statements
 *   bidseal's bidder statements (the module itself will do), to check bidders' signatures
 */
export async function verifyBundle(bundle, trust, verifyDocument, statements) {
  const out = report();
  try {
    return await checkAll(bundle, trust, verifyDocument, statements, out);
  } catch (error) {
    // What passed before the failure is shown with it, as `bidopen verify` would print it.
    if (error instanceof VerificationFailed) error.report = out;
    throw error;
  }
}

async function checkAll(bundle, trust, verifyDocument, statements, out) {
  if (bundle?.format !== BUNDLE_FORMAT) throw fail(`not a ${BUNDLE_FORMAT} file`);
  const session = String(bundle.session);
  const log = bundle.log;
  if (!trust.logVkey) {
    out.warn("log_key_from_bundle", "the log's key was taken from the bundle itself: give --log VKEY (published by the trading centre) to know whose log this is");
  }
  let witnesses;
  try {
    witnesses = await Promise.all((trust.witnesses ?? []).map(cosignatureVerifier));
  } catch (error) {
    throw asFailure(error, "");
  }
  const quorum = trust.quorum ?? 0;
  let checkpoint;
  let cosigned;
  let verifier;
  try {
    verifier = await ed25519Verifier(trust.logVkey || String(log.vkey));
    ({ checkpoint, cosigned } = await logPolicy(verifier, witnesses, quorum).open(encoder.encode(String(log.checkpoint))));
  } catch (error) {
    throw asFailure(error, "checkpoint: ");
  }
  out.ok(
    "checkpoint",
    { origin: checkpoint.origin, size: checkpoint.size, cosigned, witnesses: witnesses.length, quorum },
    `checkpoint of ${checkpoint.origin} at size ${checkpoint.size} signed by the log key; ${cosigned} of ${witnesses.length} witnesses cosigned (quorum ${quorum})`,
  );
  if (trust.oldCheckpoint) await checkOld(bundle, logPolicy(verifier), trust.oldCheckpoint, checkpoint, out);
  const entries = await provenEntries(bundle, checkpoint, session);
  out.ok("entries", { count: entries.length, session }, `${entries.length} entries of session ${session} are in that tree (inclusion proofs)`);
  const { events, bids } = await split(entries, bundle.payloads ?? {});
  out.ok("events", { count: events.length }, `events 1..${events.length} of the session are in the log, in order, with no gap`);
  const keys = bidderKeys(bundle, out);
  const recordState = await replay(events, keys, statements, out);
  checkBatch(entries, events, bids, out);
  const serverKey = trust.serverKey || serverKeyOf(bundle, out);
  const leaves = leavesOf(entries);
  // The user's own receipts first: a bid missing from the batch is the platform's fault,
  // the most precise reason there is (the record would also fail to follow).
  await checkReceipts(trust.receipts ?? [], bids, events, serverKey, session, verifyDocument, out);
  await checkRecord(bundle, events, recordState, leaves, serverKey, verifyDocument, out);
  await checkResults(bundle, events, leaves, serverKey, verifyDocument, out);
  return out;
}

function asFailure(error, prefix) {
  if (error instanceof LogError) return fail(`${prefix}${error.message}`);
  return error;
}

async function checkOld(bundle, policy, oldText, checkpoint, out) {
  let old;
  try {
    ({ checkpoint: old } = await policy.open(encoder.encode(oldText)));
  } catch (error) {
    throw asFailure(error, "the saved checkpoint: ");
  }
  if (old.size > checkpoint.size) throw fail(`the saved checkpoint (size ${old.size}) is newer than the bundle's`);
  if (old.size === checkpoint.size) {
    const same = old.root.every((b, i) => b === checkpoint.root[i]);
    if (!same) throw fail("the log was rewritten: the saved checkpoint has another root");
  } else {
    const given = bundle.consistency ?? {};
    if (given.old_size !== old.size) {
      throw fail(`the bundle has no consistency proof from size ${old.size} (download it with ?old=${old.size})`);
    }
    const proof = given.proof.map(b64);
    try {
      await verifyConsistency(old.size, checkpoint.size, proof, old.root, checkpoint.root);
    } catch (error) {
      throw asFailure(error, "the log was rewritten since the saved checkpoint: ");
    }
  }
  out.ok("old", { size: old.size }, `the saved checkpoint of size ${old.size} is consistent with this one (append-only)`);
}

async function provenEntries(bundle, checkpoint, session) {
  const found = [];
  let last = -1;
  for (const item of bundle.entries) {
    const index = Number(item.index);
    const entry = b64(item.entry);
    const proof = item.proof.map(b64);
    try {
      await verifyInclusion(await leafHash(entry), index, checkpoint.size, proof, checkpoint.root);
    } catch (error) {
      throw asFailure(error, `entry ${index}: `);
    }
    if (index <= last) throw fail(`entry ${index} is out of log order`);
    last = index;
    const body = JSON.parse(new TextDecoder().decode(entry));
    if (body.format !== ENTRY_FORMAT || body.session !== session) throw fail(`entry ${index} is not an entry of session ${session}`);
    found.push({ index, body });
  }
  return found;
}

async function split(entries, payloads) {
  const events = [];
  const bids = [];
  for (const { index, body } of entries) {
    if (body.type === "bid") {
      bids.push(body);
      continue;
    }
    if (body.seq !== events.length + 1) throw fail(`entry ${index}: event ${body.seq} where ${events.length + 1} was due`);
    if (!("payload" in body)) {
      const payload = payloads[String(body.seq)];
      const digest = payload === undefined ? null : await sha256Hex(encoder.encode(canonicalJson(payload)));
      if (digest === null || digest !== body.payload_sha256) throw fail(`entry ${index}: the payload kept beside the log does not match`);
      events.push({ ...body, payload });
      continue;
    }
    events.push(body);
  }
  return { events, bids };
}

const B64U = /^[A-Za-z0-9_-]*$/u;
const B64U_VALUE = (ch) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(ch);

/** Whether `text` is unpadded base64url in its one canonical spelling (bidseal's b64u_decode). */
function canonicalB64u(text) {
  if (!B64U.test(text) || text.length % 4 === 1) return false;
  const spare = [0, 0, 0b1111, 0b11][text.length % 4]; // bits past the last byte must be 0
  return spare === 0 || (B64U_VALUE(text.at(-1)) & spare) === 0;
}

/** The bidders' signing keys the bundle carries (b64u), by bidder. */
function bidderKeys(bundle, out) {
  const keys = bundle.bidder_keys || {};
  if (Object.keys(keys).length) {
    out.warn("bidder_keys_from_bundle", "the bidders' keys were taken from the bundle: each bidder can compare its own with its bidder-public.json");
  }
  const found = new Map();
  for (const [bidder, key] of Object.entries(keys)) {
    const text = key !== null && typeof key === "object" && !Array.isArray(key) && Object.hasOwn(key, "signing_key") ? pyStr(key.signing_key) : null;
    if (text === null || !canonicalB64u(text)) throw fail("the bundle's bidder keys are unreadable");
    found.set(bidder, text);
  }
  return found;
}

/**
 * Every event replayed through the session core's twin, each bidder's confirmation and
 * objection checked against its key as the replay reaches it (check.py `_replay`); the
 * state the record was built from.
 */
async function replay(events, keys, statements, out) {
  const counted = { confirmations: 0, objections: 0 };
  const unsigned = [];
  const check = async (state, event, body) => {
    const what = await checkBidderStatement(state, event, body.seq, keys, statements);
    if (what === "unsigned") unsigned.push(body.seq);
    else if (what !== null) counted[what] += 1;
  };
  const { state, recordState } = await replayEvents(events, check);
  out.ok("replay", { phase: state.phase }, `the events replay through the session core: phase ${state.phase}`);
  const signed = counted.confirmations + counted.objections;
  if (signed) {
    out.ok("statements", counted, `${signed} confirmations and objections are signed by their bidders' own keys`);
  }
  for (const seq of unsigned) {
    out.ok("result_objection_unsigned", { seq }, `event ${seq}: objection to a result unsigned (logged before bidders signed objections to results)`);
  }
  return recordState;
}

/**
 * A bidder's statement in `event` (decoded, replay.js) checked against the bidder's key
 * (`keys`: bidder -> b64u), in the `state` the bidder signed it in: "confirmations" or
 * "objections" when its signature verifies, "unsigned" for an objection to a result logged
 * before bidders signed those, null for an event that is no statement; VerificationFailed
 * with `bidopen verify`'s reason otherwise.
 */
export async function checkBidderStatement(state, event, seq, keys, { confirmationMessage, objectionMessage, resultObjectionMessage, verifyStatement }) {
  let what;
  let statement;
  let counted = "objections";
  if (event.kind === "bidder_confirmed") {
    what = "confirmation";
    counted = "confirmations";
    statement = confirmationMessage(state.tender_id, event.bidder, await readoutSha256(state.readout));
  } else if (event.kind === "objection_raised") {
    what = `objection ${event.objection_id}`;
    statement = objectionMessage(state.tender_id, event.bidder, event.lot, event.nonce, event.text);
  } else if (event.kind === "result_objection_raised") {
    if (!event.signature) return "unsigned";
    what = `objection ${event.objection_id} to the result of lot ${event.lot}`;
    statement = resultObjectionMessage(state.tender_id, event.bidder, event.lot, event.nonce, event.text);
  } else {
    return null;
  }
  const key = keys.get(event.bidder);
  if (key === undefined) throw fail(`event ${seq}: the bundle has no key of bidder ${event.bidder}`);
  if (!event.signature) throw fail(`event ${seq}: the ${what} of bidder ${event.bidder} is not signed by the bidder`);
  if (!(await verifyStatement(key, statement, event.signature))) {
    throw fail(`event ${seq}: the ${what} of bidder ${event.bidder} is not signed by the bidder's key`);
  }
  return counted;
}

/** The leaf of each event (seq order) and of each bid entry (log order). */
function leavesOf(entries) {
  return {
    events: entries.filter(({ body }) => body.type !== "bid").map(({ index }) => index),
    bids: entries.filter(({ body }) => body.type === "bid").map(({ index }) => index),
  };
}

const bidKey = (b) => `${b.lot}\u0000${b.bidder}\u0000${b.bid_sha256}`;

function checkBatch(entries, events, bids, out) {
  const deadline = events.find((e) => e.kind === "deadline_passed");
  if (deadline === undefined) {
    if (bids.length) throw fail("bid entries appear before the deadline event");
    out.ok("no_deadline", {}, "the deadline has not passed in the log: no bid is in it");
    return;
  }
  const positions = entries.flatMap(({ body }, n) => (body.type === "bid" ? [n] : []));
  const where = entries.findIndex(({ body }) => body.kind === "deadline_passed");
  if (!positions.every((p, i) => p === where - positions.length + i)) {
    throw fail("the bid entries are not one batch right before the deadline event");
  }
  const current = new Set(bids.filter((b) => b.status === "current").map(bidKey));
  const announced = new Set((deadline.payload.bids ?? []).map(bidKey));
  if (current.size !== announced.size || [...current].some((k) => !announced.has(k))) {
    throw fail("the deadline event's bids are not the current bids of the batch");
  }
  const received = bids.map((b) => b.received_at);
  if (received.some((at, i) => i > 0 && at < received[i - 1])) throw fail("the deadline batch is not in receipt order");
  out.ok(
    "batch",
    { bids: bids.length, current: current.size },
    `the deadline batch holds ${bids.length} bids (${current.size} current), in receipt order, and the deadline event names exactly the current ones`,
  );
}

function serverKeyOf(bundle, out) {
  out.warn("server_key_from_bundle", "the server's key was taken from the bundle: give --server-key");
  return String(bundle.server_key.key);
}

/** The payload of a document signed by `key`, and the SHA-256 of its payload text. */
async function signed(envelope, kind, key, verifyDocument) {
  let payload;
  try {
    payload = await verifyDocument(envelope, kind, key);
  } catch {
    throw fail(`the ${kind} is not signed by the server key: invalid signed document`);
  }
  const text = typeof envelope === "string" ? JSON.parse(envelope).payload : envelope.payload;
  return { payload, digest: await sha256Hex(encoder.encode(text)) };
}

async function checkRecord(bundle, events, recordState, leaves, key, verifyDocument, out) {
  const published = events.filter((e) => e.kind === "record_published");
  const records = bundle.records ?? [];
  if (!published.length) {
    if (records.length) throw fail("a record is in the bundle but its publication is not in the log");
    out.ok("no_record", {}, "no record has been published yet");
    return;
  }
  if (!records.length) throw fail("the log says a record was published but the bundle has none");
  const { payload, digest } = await signed(records[records.length - 1], "opening-record", key, verifyDocument);
  if (digest !== published[published.length - 1].payload.sha256) throw fail("the signed record is not the one whose hash the log holds");
  const before = published[published.length - 1].seq - 1;
  const named = { events: leaves.events.slice(0, before), bids: leaves.bids };
  const follows = await checkRecordFollows(payload, recordState, named);
  out.ok("record", {}, "the opening record is signed by the server, is the one the log names, and follows");
  if (follows.earlier) {
    out.ok("record_earlier", { format: payload.format }, `  from the events: every member its format (${payload.format}) states`);
    return;
  }
  out.ok(
    "record_follows",
    { events: follows.events, bids: follows.bids },
    `  from the events: every status, read-out line, deemed acceptance, bidder's signature and leaf (${follows.events} events, ${follows.bids} bids)`,
  );
}

const RESULTS_WITHOUT_LEAVES = ["bidopen-evaluation-result/1", "bidopen-evaluation-result/2"];

async function checkResults(bundle, events, leaves, key, verifyDocument, out) {
  const seqs = new Map(events.filter((e) => e.kind === "result_published").map((e) => [e.payload.sha256, e.seq]));
  for (const text of bundle.results ?? []) {
    const { payload, digest } = await signed(text, "evaluation-result", key, verifyDocument);
    if (!seqs.has(digest)) throw fail("a signed result is not one whose hash the log holds");
    const named = { events: leaves.events.slice(0, seqs.get(digest) - 1), bids: leaves.bids };
    if (!Object.hasOwn(payload, "leaves") && RESULTS_WITHOUT_LEAVES.includes(payload.format)) continue; // signed before results named their leaves; the log still names it
    if (difference(payload.leaves ?? null, named) !== null) {
      throw fail(`the result of lot ${payload.lot} names other leaves than the log's`);
    }
  }
  if (seqs.size) out.ok("results", { count: seqs.size }, `${seqs.size} published results are signed, named by the log, name their leaves`);
}

async function checkReceipts(receipts, bids, events, key, session, verifyDocument, out) {
  if (!receipts.length) return;
  if (!events.some((e) => e.kind === "deadline_passed")) throw fail("receipts were given but the deadline batch is not in the log yet");
  const inBatch = new Set(bids.map((b) => b.receipt_sha256));
  for (const envelope of receipts) {
    if (envelope?.type !== "receipt") continue;
    const { payload, digest } = await signed(envelope, "receipt", key, verifyDocument);
    if (payload.tender !== session) continue;
    if (!inBatch.has(digest)) {
      throw fail(`the platform's fault: signed receipt ${payload.receipt_id} for bid ${payload.bid_sha256} is missing from the deadline batch`);
    }
    out.ok("receipt", { id: payload.receipt_id, digest: digest.slice(0, 16) }, `receipt ${payload.receipt_id} (${digest.slice(0, 16)}…) is in the deadline batch`);
  }
}
