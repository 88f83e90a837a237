// A signed opening record against the events of the log, as `bidopen verify` holds it
// (check.py `_check_record`): the record is rebuilt from the replay of every event before
// its publication (replay.js, record-build.js) and compared whole with the signed one. A
// difference is refused with Python's reason; the detail names the first member that differs.
// A record signed in an earlier format states fewer members: each one it states must be the
// rebuilt one, and what its format did not have (the leaves, the read-out's hash, the
// bidders' signatures) it does not claim.

import { VerificationFailed } from "./failure.js";
import { buildRecord } from "./record-build.js";

export const DOES_NOT_FOLLOW = "the signed record does not follow from the events (replayed record differs)";

/** Record formats signed before the record carried bidders' signatures and named its leaves. */
export const EARLIER_RECORDS = ["bidopen-opening-record/2", "bidopen-opening-record/3"];

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/**
 * `rebuilt` cut to the members `signed` states, at every depth (a list keeps its length:
 * element by element when both have the same); twin of `stated_part` in
 * server/bidopen/verify/check.py. A member `signed` states that `rebuilt` has not is left
 * out, so the two differ.
 */
export function statedPart(rebuilt, signed) {
  if (isObject(rebuilt) && isObject(signed)) {
    return Object.fromEntries(Object.entries(signed).filter(([k]) => own(rebuilt, k)).map(([k, v]) => [k, statedPart(rebuilt[k], v)]));
  }
  if (Array.isArray(rebuilt) && Array.isArray(signed) && rebuilt.length === signed.length) {
    return rebuilt.map((r, i) => statedPart(r, signed[i]));
  }
  return rebuilt;
}

/**
 * Where two JSON values differ as Python's == compares them once loaded (a number equals
 * true or false as 1 or 0 does; members in any order), as a path (`bids[0].status`, "" for
 * the whole), or null when they are equal.
 */
export function difference(a, b, path = "") {
  if (typeof a === "boolean" && typeof b === "number") return Number(a) === b ? null : path;
  if (typeof a === "number" && typeof b === "boolean") return a === Number(b) ? null : path;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
      const found = difference(a[i], b[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
    return a.length === b.length ? null : path;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of Object.keys(a)) {
      const at = path ? `${path}.${key}` : key;
      if (!own(b, key)) return at;
      const found = difference(a[key], b[key], at);
      if (found !== null) return found;
    }
    const extra = Object.keys(b).find((key) => !own(a, key));
    return extra === undefined ? null : path ? `${path}.${extra}` : extra;
  }
  if (isObject(a) || isObject(b) || Array.isArray(a) || Array.isArray(b)) return path;
  return a === b ? null : path;
}

/**
 * {earlier, events, bids} once `record` (the signed payload) is the record `recordState` (the
 * state replayed up to its publication) gives, naming `leaves` (the log's: every event before
 * its publication, and the bids); VerificationFailed(DOES_NOT_FOLLOW, detail) otherwise.
 */
export async function checkRecord(record, recordState, leaves) {
  let rebuilt = await buildRecord(recordState, leaves);
  const earlier = EARLIER_RECORDS.includes(record?.format);
  if (earlier) rebuilt = { ...statedPart(rebuilt, record), format: record.format };
  const differs = difference(rebuilt, record);
  if (differs !== null) {
    throw new VerificationFailed(DOES_NOT_FOLLOW, `the replayed record differs in ${differs || "the whole"}`);
  }
  return { earlier, events: leaves.events.length, bids: leaves.bids.length };
}
