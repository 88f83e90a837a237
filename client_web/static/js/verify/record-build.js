// The opening record (开标记录) rebuilt from a replayed state: the twin of build_record in
// server/bidopen/session/record.py, member for member, so that a record the hub signed can
// be compared whole with the one its log's events give.

import { readoutSha256 } from "./digest.js";
import { SessionError } from "./event-codec.js";
import { codePoints, compareText, pyInt } from "./python-text.js";
import { count, orderedBids, stoppedLots } from "./replay.js";

export const RECORD_FORMAT = "bidopen-opening-record/4";

/**
 * The record of `state` (replay.js) naming `leaves` ({events, bids}: the leaf of each event
 * it follows from and of each bid entry of the deadline batch), as the hub signs it.
 */
export async function buildRecord(state, leaves = { events: [], bids: [] }) {
  if (state.phase === "unscheduled") throw new SessionError('Cannot handle build_record in phase "unscheduled"');
  const stopped = stoppedLots(state);
  // Objections in the order of their number (O1, O2, …), as Python's int() reads it.
  const objections = [...state.objections.values()].map((o) => [pyInt(codePoints(o.id).slice(1).join("")), o]);
  objections.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    format: RECORD_FORMAT,
    tender: {
      id: state.tender_id,
      code: state.code,
      title: state.title,
      organisation: state.organisation_name,
      tenderer: state.parties.tenderer,
      agency: state.parties.agency,
      tendered_by_law: state.parties.tendered_by_law,
    },
    lots: state.lots.map((lot) => ({ id: lot.id, name: lot.name, bid_count: count(state, lot.id), stopped: stopped.has(lot.id), ceiling: lot.ceiling })),
    readout_items: state.readout_items,
    times: {
      scheduled_at: state.scheduled_at,
      deadline: state.deadline,
      deadline_passed_at: state.deadline_passed_at,
      decryption_started_at: state.decryption_started_at,
      decryption_closed_at: state.decryption_closed_at,
      read_out_at: state.read_out_at,
      confirmation_started_at: state.confirmation_started_at,
      confirmation_closed_at: state.confirmation_closed_at,
    },
    reschedulings: state.reschedulings,
    quorum_warnings: state.quorum_warnings,
    quorum_decisions: state.lots.filter((lot) => state.quorum.has(lot.id)).map((lot) => state.quorum.get(lot.id)),
    bids: orderedBids(state).map((bid) => ({
      lot: bid.lot,
      bidder: bid.bidder,
      bidder_name: bid.bidder_name,
      bid_sha256: bid.bid_sha256,
      receipt_no: bid.receipt_no,
      signed_in_at: state.signed_in.get(bid.bidder) ?? null,
      decrypted_at: bid.decrypted_at,
      failed_attempts: bid.failed_attempts,
      status: bid.outcome === null ? null : bid.outcome.status,
      cause: bid.outcome === null ? null : bid.outcome.cause,
      cause_item: bid.outcome === null ? null : bid.outcome.item || null,
    })),
    extensions: state.extensions,
    pauses: state.pauses,
    platform_faults: state.faults,
    decryption_closed_by_host: state.decryption_closed_by_host,
    readout: state.readout,
    objections: objections.map(([, o]) => o),
    readout_sha256: await readoutSha256(state.readout),
    confirmed: [...state.confirmations]
      .sort(([a], [b]) => compareText(a, b))
      .map(([bidder, at]) => ({ bidder, at, signature: state.confirmation_signatures.get(bidder) ?? "" })),
    deemed_accepted: state.deemed_accepted,
    confirmation_closed_early: state.confirmation_closed_early,
    // An abort after publication belongs to the log, not to the record already signed.
    aborted: state.record === null ? state.abortion : null,
    leaves: { events: [...leaves.events], bids: [...leaves.bids] },
  };
}
