// What the browser checks of a signed opening record against the events of the log, without
// the session core: `bidopen verify` replays every event through the core and rebuilds the
// whole record; here only the parts the events state directly are compared. A difference is
// refused with Python's reason for a record that does not follow, and the part named.
// A record signed in an earlier format states fewer members: as `bidopen verify` does, each
// member it states must be the one the events give, and what its format did not have (the
// leaves, the read-out's hash, the bidders' signatures) it does not claim.

import { canonicalJson, readoutSha256 } from "./digest.js";
import { VerificationFailed } from "./failure.js";

export const DOES_NOT_FOLLOW = "the signed record does not follow from the events (replayed record differs)";

/** Parts of the record only `bidopen verify` derives (from the replay through the session core). */
export const PYTHON_ONLY = [
  "times",
  "lots",
  "objections",
  "extensions",
  "pauses",
  "platform_faults",
  "quorum_decisions",
  "reschedulings",
  "failed_attempts",
  "aborted",
];

/** Record formats signed before the record carried bidders' signatures and named its leaves. */
export const EARLIER_RECORDS = ["bidopen-opening-record/2", "bidopen-opening-record/3"];

/**
 * `rebuilt` cut to the members `signed` states, at every depth (a list keeps its length:
 * element by element when both have the same); twin of `stated_part` in
 * server/bidopen/verify/check.py. A member `signed` states that `rebuilt` has not is left
 * out, so the two differ.
 */
export function statedPart(rebuilt, signed) {
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(rebuilt) && isObject(signed)) {
    return Object.fromEntries(Object.entries(signed).filter(([k]) => k in rebuilt).map(([k, v]) => [k, statedPart(rebuilt[k], v)]));
  }
  if (Array.isArray(rebuilt) && Array.isArray(signed) && rebuilt.length === signed.length) {
    return rebuilt.map((r, i) => statedPart(r, signed[i]));
  }
  return rebuilt;
}

function differs(detail) {
  return new VerificationFailed(DOES_NOT_FOLLOW, detail);
}

const same = (a, b) => canonicalJson(a) === canonicalJson(b);
const of = (events, kind) => events.filter((e) => e.kind === kind);
const pairKey = (lot, bidder) => `${lot}\u0000${bidder}`;

/**
 * Lines of what was checked; VerificationFailed(DOES_NOT_FOLLOW, detail) at the first part
 * of `record` (the signed payload) that the `events` (those before its publication) deny.
 */
export async function checkRecordAgainstEvents(record, events, leaves) {
  const lines = [];
  const earlier = EARLIER_RECORDS.includes(record.format);
  // What an earlier-format record states of `rebuilt` (all of it for the current format);
  // `member` of the record is not claimed when an earlier format does not state it.
  const stated = (rebuilt, signed) => (earlier ? statedPart(rebuilt, signed) : rebuilt);
  const claims = (member) => !earlier || member in record;
  // The leaves it names are the log's: every event before its publication, and the bids.
  if (leaves !== undefined && claims("leaves") && !same(record.leaves ?? null, leaves)) {
    throw differs("leaves: the record names other leaves than the log's");
  }
  const deadline = of(events, "deadline_passed").at(-1);
  const announced = deadline?.payload.bids ?? [];
  const bids = Array.isArray(record.bids) ? record.bids : [];
  const wanted = announced.map((b) => `${pairKey(b.lot, b.bidder)}\u0000${b.bid_sha256}`).sort();
  const given = bids.map((b) => `${pairKey(b.lot, b.bidder)}\u0000${b.bid_sha256}`).sort();
  if (!same(wanted, given)) throw differs("bids: the record's bids are not the deadline event's bids");

  // Statuses follow the outcomes decided when decryption closed.
  const outcomes = new Map();
  for (const event of of(events, "decryption_closed")) {
    for (const o of event.payload.outcomes ?? []) outcomes.set(pairKey(o.lot, o.bidder), o);
  }
  const decrypted = new Map(of(events, "bid_decrypted").map((e) => [pairKey(e.payload.lot, e.payload.bidder), e.payload.at]));
  for (const bid of bids) {
    const key = pairKey(bid.lot, bid.bidder);
    const outcome = outcomes.get(key);
    const expected = outcome === undefined ? { status: null, cause: null, cause_item: null } : { status: outcome.status, cause: outcome.cause, cause_item: outcome.item || null };
    const status = { status: bid.status, cause: bid.cause, cause_item: bid.cause_item };
    if (earlier) for (const member of Object.keys(status)) if (!(member in bid)) delete status[member];
    if (!same(status, stated(expected, status))) {
      throw differs(`bids: the status of ${bid.bidder} in lot ${bid.lot} is not the outcome the log holds`);
    }
    if ((!earlier || "decrypted_at" in bid) && (bid.decrypted_at ?? null) !== (decrypted.get(key) ?? null)) {
      throw differs(`bids: the decryption time of ${bid.bidder} in lot ${bid.lot} is not the log's`);
    }
  }
  lines.push({ key: "record_bids", facts: { count: bids.length }, text: `the record's ${bids.length} bids are the deadline event's, each with the outcome and decryption time the log holds` });

  // The read-out is the read-out the log published, line for line, and each line's bid opened.
  const readout = of(events, "read_out").flatMap((e) => e.payload.lots ?? []);
  if (!same(record.readout ?? [], stated(readout, record.readout))) throw differs("readout: the record's read-out lines are not the read_out event's");
  for (const lot of readout) {
    for (const line of lot.lines ?? []) {
      const outcome = outcomes.get(pairKey(lot.lot, line.bidder));
      if (outcome !== undefined && line.status !== outcome.status) {
        throw differs(`readout: the line of ${line.bidder} in lot ${lot.lot} has another status than its outcome`);
      }
      if (line.status === "opened" && !decrypted.has(pairKey(lot.lot, line.bidder))) {
        throw differs(`readout: ${line.bidder} in lot ${lot.lot} is read out but its bid was never decrypted`);
      }
    }
  }
  if (claims("readout_sha256") && record.readout_sha256 !== (await readoutSha256(readout))) {
    throw differs("readout_sha256: the record's read-out hash is not the hash of its read-out");
  }
  const count = readout.reduce((n, lot) => n + (lot.lines ?? []).length, 0);
  lines.push({ key: "record_readout", facts: { count }, text: `the record's ${count} read-out lines are the log's read-out, each of a decrypted bid` });

  // Confirmations, and silence until the window closed as acceptance.
  const closed = of(events, "confirmation_closed").at(-1);
  if (closed !== undefined) {
    const confirmed = new Map();
    for (const e of events.slice(0, events.indexOf(closed))) {
      if (e.kind === "bidder_confirmed") confirmed.set(e.payload.bidder, { at: e.payload.at, signature: e.payload.signature ?? "" });
    }
    const expected = [...confirmed]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([bidder, { at, signature }]) => ({ bidder, at, signature }));
    if (!same(record.confirmed ?? [], stated(expected, record.confirmed))) throw differs("confirmed: the record's confirmations are not the log's");
    const bidders = new Set(announced.map((b) => b.bidder));
    const silent = closed.payload.early ? [] : [...bidders].filter((b) => !confirmed.has(b)).sort();
    const deemed = claims("deemed_accepted") ? record.deemed_accepted ?? [] : silent;
    if (!same(deemed, silent) || !same(closed.payload.deemed_accepted ?? [], silent)) {
      throw differs("deemed_accepted: the deemed acceptances are not the bidders silent when confirmation closed");
    }
    if (claims("confirmation_closed_early") && Boolean(record.confirmation_closed_early) !== Boolean(closed.payload.early)) {
      throw differs("confirmed: the record says confirmation closed otherwise than the log");
    }
    lines.push({
      key: "record_confirmations",
      facts: { confirmed: expected.length, deemed: silent.length },
      text: `${expected.length} confirmations are the log's, and ${silent.length} deemed acceptances are exactly the bidders silent when confirmation closed`,
    });
  }
  return lines;
}
