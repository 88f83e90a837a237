// The session core's replay in the browser: the state of an opening folded from the events
// of its log, the twin of server/bidopen/session/evolve.py and state.py. An event that
// cannot follow the state is refused with the core's reason, and a log is refused as
// `bidopen verify` refuses it: "event {seq} ({kind}) does not replay: {reason}".
//
// The state keeps Python's field names and holds each value as the core encodes it
// (instants as text, enums as their values); the dictionaries are Maps, which keep their
// keys in the order of first insertion as Python's dicts do.

import { EventRejected, MalformedEvent, PHASES, SessionError, decodeEvent, instantOrder } from "./event-codec.js";
import { VerificationFailed } from "./failure.js";
import { compareText, pyStr } from "./python-text.js";

export { EventRejected, MalformedEvent, SessionError };

const TERMINAL = ["result_published", "stopped", "aborted"];
const ROOM_OPEN = ["quorum_decision", "opening", "decryption", "confirmation"];
const TIMED = ["decryption", "confirmation"];

/** The phases in which each kind of event can follow; anything else is a corrupt log. */
export const EVENT_PHASES = new Map([
  ["session_scheduled", ["unscheduled"]],
  ["session_rescheduled", ["scheduled"]],
  ["session_aborted", PHASES.filter((p) => !TERMINAL.includes(p) && p !== "unscheduled")],
  ["deadline_passed", ["scheduled"]],
  ["quorum_decided", ["quorum_decision"]],
  ["decryption_started", ["opening"]],
  ["bidder_signed_in", ROOM_OPEN],
  ["bid_decrypted", ["decryption"]],
  ["decryption_failed", ["decryption"]],
  ["decryption_extended", ["decryption"]],
  ["platform_fault_recorded", ["decryption"]],
  ["session_paused", TIMED],
  ["session_resumed", TIMED],
  ["decryption_closed", ["decryption"]],
  ["read_out", ["decryption"]],
  ["confirmation_started", ["decryption"]],
  ["bidder_confirmed", ["confirmation"]],
  ["objection_raised", ROOM_OPEN],
  ["objection_answered", [...ROOM_OPEN, "record_due"]],
  ["confirmation_closed", ["confirmation"]],
  ["record_published", ["record_due"]],
  ["evaluation_stage_changed", ["closed", "evaluation"]],
  ["result_published", ["evaluation"]],
  ["result_objection_raised", ["evaluation", "result_published"]],
  ["result_objection_answered", ["evaluation", "result_published"]],
]);

/** The session before its first event (state.py's EMPTY). */
export const EMPTY = Object.freeze({
  seq: 0,
  phase: "unscheduled",
  tender_id: "",
  code: "",
  title: "",
  host: "",
  organisation: "",
  organisation_name: "",
  lots: [],
  deadline: null,
  signin_opens_at: null,
  decryption_seconds: 0,
  confirmation_seconds: 0,
  readout_items: [],
  parties: { tenderer: "", agency: "", tendered_by_law: false },
  demo_publicity_seconds: null,
  scheduled_at: null,
  reschedulings: [],
  deadline_passed_at: null,
  bids: new Map(), // `${lot}\0${bidder}` -> bid; ids hold no control character
  signed_in: new Map(),
  quorum_warnings: [],
  quorum: new Map(),
  ends_at: null,
  pauses: [],
  decryption_started_at: null,
  extensions: [],
  faults: [],
  decryption_closed_at: null,
  decryption_closed_by_host: false,
  readout: [],
  read_out_at: null,
  read_out_seq: null,
  confirmation_started_at: null,
  confirmations: new Map(),
  confirmation_signatures: new Map(),
  objections: new Map(),
  confirmation_closed_at: null,
  confirmation_closed_early: false,
  deemed_accepted: [],
  record: null,
  stages: [],
  results: new Map(),
  result_objections: new Map(),
  abortion: null,
});

export const bidKey = (lot, bidder) => `${lot}\u0000${bidder}`;
const withEntry = (mapping, key, value) => new Map(mapping).set(key, value);

// The state's derived members (state.py's properties), each as a function of the state.

export const isPaused = (s) => s.pauses.length > 0 && s.pauses.at(-1).ended_at === null;

/** Bids of `lot`, opened or not. */
export const count = (s, lot) => [...s.bids.values()].filter((bid) => bid.lot === lot).length;

export const stoppedLots = (s) => new Set([...s.quorum].filter(([, decision]) => decision.choice === "stop").map(([lot]) => lot));

/** Lots that still wait for the host's continue-or-stop choice, in lot order. */
export const pendingQuorum = (s) => s.lots.filter((lot) => !s.quorum.has(lot.id) && (s.quorum_warnings.includes(lot.id) || count(s, lot.id) === 0)).map((lot) => lot.id);

/** Every bid, in lot order then receipt order: the order of read-out and record. */
export function orderedBids(s) {
  const order = new Map(s.lots.map((lot, i) => [lot.id, i]));
  const rank = (bid) => (order.has(bid.lot) ? order.get(bid.lot) : -1);
  return [...s.bids.values()].sort((a, b) => rank(a) - rank(b) || a.receipt_no - b.receipt_no || compareText(a.bidder, b.bidder));
}

/** Lots opened with a bid that have no published result yet, in lot order. */
export function lotsAwaitingResult(s) {
  const stopped = stoppedLots(s);
  return s.lots.filter((lot) => !stopped.has(lot.id) && !s.results.has(lot.id) && count(s, lot.id) > 0).map((lot) => lot.id);
}

function phaseAfterQuorum(s) {
  if (pendingQuorum(s).length) return "quorum_decision";
  if (stoppedLots(s).size === s.lots.length) return "stopped";
  return "opening";
}

/** Each bid's number in the record: 1..n in the order received (values.py receipt_numbers). */
function receiptNumbers(entries) {
  const received = entries
    .filter((b) => b.received_at !== null)
    .map((b) => [instantOrder(b.received_at), b.bidder, b.lot])
    .sort((x, y) => compareText(x[0], y[0]) || compareText(x[1], y[1]) || compareText(x[2], y[2]));
  const numbers = new Map(received.map(([, bidder, lot], i) => [bidKey(lot, bidder), i + 1]));
  for (const b of entries) if (b.receipt_no !== null) numbers.set(bidKey(b.lot, b.bidder), b.receipt_no);
  return numbers;
}

function bidOf(s, lot, bidder) {
  const bid = s.bids.get(bidKey(lot, bidder));
  if (bid === undefined) throw new EventRejected(`no bid of ${bidder} in lot ${lot}`);
  return bid;
}

const withBid = (s, bid) => ({ ...s, bids: withEntry(s.bids, bidKey(bid.lot, bid.bidder), bid) });

/** The state after `event` (decoded by decodeEvent); EventRejected if it cannot follow `s`. */
export function evolve(s, event) {
  if (!(EVENT_PHASES.get(event.kind) ?? []).includes(s.phase)) {
    throw new EventRejected(`event ${event.kind} cannot follow phase "${s.phase}"`);
  }
  return { ...apply(s, event), seq: s.seq + 1 };
}

function apply(s, e) {
  switch (e.kind) {
    case "session_scheduled":
      return {
        ...s,
        phase: "scheduled",
        tender_id: e.tender_id,
        code: e.code,
        title: e.title,
        host: e.host,
        organisation: e.organisation,
        organisation_name: e.organisation_name,
        lots: e.lots,
        deadline: e.deadline,
        signin_opens_at: e.signin_opens_at,
        decryption_seconds: e.decryption_seconds,
        confirmation_seconds: e.confirmation_seconds,
        readout_items: e.readout_items,
        parties: e.parties,
        demo_publicity_seconds: e.demo_publicity_seconds,
        scheduled_at: e.at,
      };
    case "session_rescheduled": {
      const change = { previous_deadline: e.previous_deadline, deadline: e.deadline, reason: e.reason, at: e.at };
      return { ...s, deadline: e.deadline, reschedulings: [...s.reschedulings, change] };
    }
    case "session_aborted":
      return { ...s, phase: "aborted", abortion: { phase: e.phase, reason: e.reason, at: e.at } };
    case "deadline_passed": {
      const numbers = receiptNumbers(e.bids);
      const bids = new Map();
      for (const b of e.bids) {
        const key = bidKey(b.lot, b.bidder);
        bids.set(key, { lot: b.lot, bidder: b.bidder, bidder_name: b.bidder_name, bid_sha256: b.bid_sha256, receipt_no: numbers.get(key), decrypted_at: null, failed_attempts: 0, outcome: null });
      }
      // Sign-ins before the deadline were private; they count from the deadline on.
      const signedIn = new Map(e.signed_in.map((bidder) => [bidder, e.at]));
      const after = { ...s, deadline_passed_at: e.at, bids, signed_in: signedIn, quorum_warnings: e.quorum_warnings };
      return { ...after, phase: phaseAfterQuorum(after) };
    }
    case "quorum_decided": {
      const decision = { lot: e.lot, choice: e.choice, reason: e.reason, automatic: e.automatic, at: e.at };
      const after = { ...s, quorum: withEntry(s.quorum, e.lot, decision) };
      return { ...after, phase: phaseAfterQuorum(after) };
    }
    case "decryption_started":
      return { ...s, phase: "decryption", decryption_started_at: e.at, ends_at: e.ends_at };
    case "bidder_signed_in":
      return { ...s, signed_in: withEntry(s.signed_in, e.bidder, e.at) };
    case "bid_decrypted":
      return withBid(s, { ...bidOf(s, e.lot, e.bidder), decrypted_at: e.at });
    case "decryption_failed":
      return withBid(s, { ...bidOf(s, e.lot, e.bidder), failed_attempts: e.attempt });
    case "decryption_extended": {
      const extension = { seconds: e.seconds, reason: e.reason, ends_at: e.ends_at, at: e.at };
      return { ...s, ends_at: e.ends_at, extensions: [...s.extensions, extension] };
    }
    case "platform_fault_recorded":
      return { ...s, faults: [...s.faults, { bidder: e.bidder, reason: e.reason, reported_by: e.reported_by, at: e.at }] };
    case "session_paused":
      if (isPaused(s)) throw new EventRejected("the session is paused already");
      return { ...s, pauses: [...s.pauses, { phase: s.phase, reason: e.reason, started_at: e.at, ended_at: null }] };
    case "session_resumed":
      if (!isPaused(s)) throw new EventRejected("the session is not paused");
      return { ...s, pauses: [...s.pauses.slice(0, -1), { ...s.pauses.at(-1), ended_at: e.at }], ends_at: e.ends_at };
    case "decryption_closed": {
      if (s.decryption_closed_at !== null) throw new EventRejected("decryption closes once");
      const bids = new Map(s.bids);
      for (const outcome of e.outcomes) {
        const bid = bidOf(s, outcome.lot, outcome.bidder);
        bids.set(bidKey(bid.lot, bid.bidder), { ...bid, outcome });
      }
      return { ...s, bids, decryption_closed_at: e.at, decryption_closed_by_host: e.by_host };
    }
    case "read_out":
      if (s.decryption_closed_at === null || s.read_out_at !== null) throw new EventRejected("the read-out follows the close of decryption, once");
      return { ...s, readout: e.lots, read_out_at: e.at, read_out_seq: s.seq + 1 };
    case "confirmation_started":
      if (s.read_out_at === null) throw new EventRejected("confirmation starts after the read-out");
      return { ...s, phase: "confirmation", confirmation_started_at: e.at, ends_at: e.ends_at };
    case "bidder_confirmed":
      return {
        ...s,
        confirmations: withEntry(s.confirmations, e.bidder, e.at),
        confirmation_signatures: withEntry(s.confirmation_signatures, e.bidder, e.signature),
      };
    case "objection_raised": {
      const objection = {
        id: e.objection_id,
        bidder: e.bidder,
        bidder_name: e.bidder_name,
        lot: e.lot,
        text: e.text,
        phase: s.phase,
        raised_at: e.at,
        answer: null,
        answered_at: null,
        nonce: e.nonce,
        signature: e.signature,
      };
      return { ...s, objections: withEntry(s.objections, objection.id, objection) };
    }
    case "objection_answered": {
      const found = s.objections.get(e.objection_id);
      if (found === undefined) throw new EventRejected(`no objection ${e.objection_id}`);
      return { ...s, objections: withEntry(s.objections, found.id, { ...found, answer: e.text, answered_at: e.at }) };
    }
    case "confirmation_closed":
      return { ...s, phase: "record_due", ends_at: null, confirmation_closed_at: e.at, confirmation_closed_early: e.early, deemed_accepted: e.deemed_accepted };
    case "record_published":
      return { ...s, phase: "closed", record: { sha256: e.sha256, signature: e.signature, at: e.at } };
    case "evaluation_stage_changed":
      return { ...s, phase: "evaluation", stages: [...s.stages, { stage: e.stage, at: e.at }] };
    case "result_published": {
      const result = {
        lot: e.lot,
        outcome: e.outcome,
        candidates: e.candidates,
        reasons: e.reasons,
        failure: e.failure,
        publicity_days: e.publicity_days,
        publicity_ends_at: e.publicity_ends_at,
        document: { sha256: e.sha256, signature: e.signature, at: e.at },
      };
      const after = { ...s, results: withEntry(s.results, e.lot, result) };
      return { ...after, phase: lotsAwaitingResult(after).length ? "evaluation" : "result_published" };
    }
    case "result_objection_raised": {
      if (!s.results.has(e.lot)) throw new EventRejected(`no result of lot ${e.lot} to object to`);
      const raised = {
        id: e.objection_id,
        lot: e.lot,
        bidder: e.bidder,
        bidder_name: e.bidder_name,
        text: e.text,
        raised_at: e.at,
        answer_due_at: e.answer_due_at,
        answer: null,
        answered_at: null,
        late: false,
        nonce: e.nonce,
        signature: e.signature,
      };
      return { ...s, result_objections: withEntry(s.result_objections, raised.id, raised) };
    }
    case "result_objection_answered": {
      const pending = s.result_objections.get(e.objection_id);
      if (pending === undefined || pending.answer !== null) throw new EventRejected(`no unanswered objection ${e.objection_id}`);
      const closed = { ...pending, answer: e.text, answered_at: e.at, late: e.late };
      return { ...s, result_objections: withEntry(s.result_objections, closed.id, closed) };
    }
    default:
      throw new EventRejected(`no rule for event ${e.kind}`);
  }
}

/**
 * The state a log's events lead to (each {seq, kind, payload} as the log holds it), and the
 * state the record was built from (before its publication; null when none is logged).
 * `check(state, event, body)` runs before each event is applied, with the state it follows
 * (bundle-check.js checks the bidders' signatures there). An event that does not decode or
 * cannot follow is refused as `bidopen verify` refuses it (check.py `_replay`).
 */
export async function replayEvents(bodies, check = async () => {}) {
  let state = EMPTY;
  let recordState = null;
  for (const body of bodies) {
    if (body.kind === "record_published") recordState = state;
    try {
      const event = decodeEvent(body.kind, body.payload);
      await check(state, event, body);
      state = evolve(state, event);
    } catch (error) {
      if (error instanceof SessionError) throw new VerificationFailed(`event ${pyStr(body.seq)} (${pyStr(body.kind)}) does not replay: ${error.message}`);
      throw error;
    }
  }
  return { state, recordState };
}
