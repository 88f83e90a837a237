// The events of an opening session as the log stores them, decoded as the session core
// decodes them: the twin of server/bidopen/session/events.py (the fields of each kind, in
// order, with the defaults that let earlier payloads replay, and the upcasts of earlier
// forms), codec.py's decode, and the checks of values.py and validate.py. A payload that
// does not decode is refused with the core's MalformedEvent text, word for word.
//
// A decoded event is what Python's `encode(event_from_payload(kind, payload))` gives: every
// field present, instants in the one spelling the core writes, enums as their values.

import { conforms } from "../readout-values.js";
import { codePoints, digitValue, pyLen, pyRepr, pyStr, strip } from "./python-text.js";

/** Base of the core's errors (server/bidopen/session/errors.py). */
export class SessionError extends Error {
  constructor(message) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** An event cannot follow the state: a corrupt or misordered log. */
export class EventRejected extends SessionError {}

/** A stored payload does not decode to its kind. */
export class MalformedEvent extends SessionError {}

/** A field of a value is malformed or out of range (what a value object refuses). */
export class InvalidArgument extends SessionError {}

// Enums of server/bidopen/session/values.py, phases.py and bidseal/readout.py.
export const PHASES = ["unscheduled", "scheduled", "quorum_decision", "opening", "decryption", "confirmation", "record_due", "closed", "evaluation", "result_published", "stopped", "aborted"];
const enumOf = (name, values) => ({ enum: name, values });
const PHASE = enumOf("Phase", PHASES);
const ROLE = enumOf("Role", ["host", "bidder", "system", "public"]);
const QUORUM_CHOICE = enumOf("QuorumChoice", ["continue", "stop"]);
const BID_STATUS = enumOf("BidStatus", ["opened", "revoked", "withdrawn"]);
const OUTCOME_CAUSE = enumOf("OutcomeCause", ["decrypted", "platform_fault", "key_rejected", "not_decrypted", "not_signed_in", "value_not_of_type"]);
const EVALUATION_STAGE = enumOf("EvaluationStage", ["qualification", "technical", "commercial", "scoring", "report"]);
const ITEM_TYPE = enumOf("ItemType", ["amount", "days", "percent", "text"]);
const RESULT_OUTCOME = enumOf("ResultOutcome", ["candidates", "failed"]);
const DISPOSITION = enumOf("Disposition", ["rejected", "not_ranked"]);

const STR = "str";
const INT = "int";
const BOOL = "bool";
const INSTANT = "datetime";
const opt = (hint) => ({ optional: hint });
const list = (hint) => ({ list: hint });
const map = (hint) => ({ map: hint });

const REQUIRED = Symbol("required");
/** A field: its name, its type, and its default (what a payload written before it had). */
const field = (name, hint, fallback = REQUIRED) => ({ name, hint, fallback });
const dataclass = (name, fields, check = () => {}) => ({ name, fields, check });

// validate.py
const MAX_ID_LENGTH = 128;
const MAX_TEXT_LENGTH = 2000;
const MAX_LABEL_LENGTH = 200;
const MAX_TEXT_ITEM_LENGTH = 200;
const MAX_RECEIPT_NO = 9223372036854775807; // 2**63 - 1 (as near as a JSON number gets)
const CODE = /^[a-z][a-z0-9_]{0,39}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const SCORE = /^(0|[1-9][0-9]{0,3})(\.[0-9]{1,2})?$/;
const hasControl = (text) => codePoints(text).some((ch) => ch.codePointAt(0) < 0x20);
const refuse = (message) => {
  throw new InvalidArgument(message);
};

function checkId(name, value) {
  if (typeof value !== "string" || pyLen(value) < 1 || pyLen(value) > MAX_ID_LENGTH) {
    refuse(`${name} must be a string of 1..${MAX_ID_LENGTH} characters`);
  }
  if (value !== strip(value) || hasControl(value)) refuse(`${name} must not have surrounding spaces or control characters`);
}

function checkText(name, value, limit = MAX_TEXT_LENGTH) {
  if (typeof value !== "string" || !strip(value) || pyLen(value) > limit) {
    refuse(`${name} must be non-blank text of at most ${limit} characters`);
  }
}

function checkName(name, value) {
  if (typeof value !== "string" || pyLen(value) > MAX_LABEL_LENGTH) refuse(`${name} must be text of at most ${MAX_LABEL_LENGTH} characters`);
  if (hasControl(value)) refuse(`${name} must not contain control characters`);
}

function checkInt(name, value, low, high) {
  if (!Number.isInteger(value) || value < low || value > high) refuse(`${name} must be an integer from ${low} to ${high === MAX_RECEIPT_NO ? "9223372036854775807" : high}`);
}

// values.py
const LOT = dataclass("Lot", [field("id", STR), field("name", STR), field("ceiling", opt(STR), null)], (v) => {
  checkId("lot.id", v.id);
  checkText("lot.name", v.name, MAX_LABEL_LENGTH);
  if (v.ceiling !== null && !conforms("amount", v.ceiling)) refuse("lot.ceiling must be an amount like 8650000.00");
});

const NO_PARTIES = { tenderer: "", agency: "", tendered_by_law: false };
const TENDER_PARTIES = dataclass("TenderParties", [field("tenderer", STR, ""), field("agency", STR, ""), field("tendered_by_law", BOOL, false)], (v) => {
  for (const name of ["tenderer", "agency"]) if (v[name] !== "") checkText(`parties.${name}`, v[name], MAX_LABEL_LENGTH);
});

const READOUT_ITEM = dataclass(
  "ReadoutItem",
  [field("key", STR), field("label_zh", STR), field("label_en", STR), field("type", ITEM_TYPE, "text"), field("max_length", INT, MAX_TEXT_ITEM_LENGTH)],
  (v) => {
    if (!CODE.test(v.key)) refuse("readout_item.key must be a code like wrong_key ([a-z][a-z0-9_]{0,39})");
    checkText("readout_item.label_zh", v.label_zh, MAX_LABEL_LENGTH);
    checkText("readout_item.label_en", v.label_en, MAX_LABEL_LENGTH);
    checkInt("readout_item.max_length", v.max_length, 1, MAX_TEXT_ITEM_LENGTH);
  },
);

const BID_ENTRY = dataclass(
  "BidEntry",
  [field("lot", STR), field("bidder", STR), field("bidder_name", STR, ""), field("bid_sha256", STR), field("received_at", opt(INSTANT), null), field("receipt_no", opt(INT), null)],
  (v) => {
    checkId("bid.lot", v.lot);
    checkId("bid.bidder", v.bidder);
    checkName("bid.bidder_name", v.bidder_name);
    if (!SHA256.test(v.bid_sha256)) refuse("bid.bid_sha256 must be 64 lowercase hexadecimal digits");
    if (v.received_at === null && v.receipt_no === null) refuse("bid.received_at is required");
    if (v.receipt_no !== null) checkInt("bid.receipt_no", v.receipt_no, 1, MAX_RECEIPT_NO);
  },
);

const CANDIDATE = dataclass("Candidate", [field("bidder", STR), field("price", opt(STR), null), field("score", opt(STR), null)], (v) => {
  checkId("candidates.bidder", v.bidder);
  if (v.price !== null && !conforms("amount", v.price)) refuse("candidates.price must be an amount like 990000.50");
  if (v.score !== null && !SCORE.test(v.score)) refuse("candidates.score must be a number like 92.50 (at most two decimals)");
});

const REASON = dataclass("Reason", [field("disposition", DISPOSITION, "rejected"), field("clause", STR, ""), field("text", STR)], (v) => {
  if (v.disposition === "rejected" || v.clause !== "") checkText("reason.clause", v.clause, MAX_LABEL_LENGTH);
  checkText("reason.text", v.text);
});

const BID_OUTCOME = dataclass("BidOutcome", [field("lot", STR), field("bidder", STR), field("status", BID_STATUS), field("cause", OUTCOME_CAUSE), field("item", STR, "")]);

const READOUT_LINE = dataclass("ReadoutLine", [
  field("bidder", STR),
  field("bidder_name", STR, ""),
  field("status", BID_STATUS),
  field("items", opt(map(STR))),
  field("above_ceiling", list(STR), []),
  field("cause", opt(OUTCOME_CAUSE), null),
  field("item", STR, ""),
]);

const LOT_READOUT = dataclass("LotReadout", [field("lot", STR), field("lines", list(READOUT_LINE))]);

// events.py: every event starts with `at`, the server time it was decided.
const event = (kind, fields) => ({ kind, ...dataclass(kind, [field("at", INSTANT), ...fields]) });
const EVENTS = [
  event("session_scheduled", [
    field("tender_id", STR),
    field("code", STR),
    field("title", STR),
    field("host", STR),
    field("lots", list(LOT)),
    field("deadline", INSTANT),
    field("signin_opens_at", INSTANT),
    field("decryption_seconds", INT),
    field("confirmation_seconds", INT),
    field("readout_items", list(READOUT_ITEM)),
    field("organisation", STR, "default"),
    field("organisation_name", STR, ""),
    field("parties", TENDER_PARTIES, NO_PARTIES),
    field("demo_publicity_seconds", opt(INT), null),
  ]),
  event("session_rescheduled", [field("previous_deadline", INSTANT), field("deadline", INSTANT), field("reason", STR)]),
  event("session_aborted", [field("phase", PHASE), field("reason", STR)]),
  event("deadline_passed", [field("deadline", INSTANT), field("bids", list(BID_ENTRY)), field("counts", map(INT)), field("signed_in", list(STR)), field("quorum_warnings", list(STR))]),
  event("quorum_decided", [field("lot", STR), field("choice", QUORUM_CHOICE), field("reason", STR), field("automatic", BOOL)]),
  event("decryption_started", [field("ends_at", INSTANT)]),
  event("bidder_signed_in", [field("bidder", STR)]),
  event("bid_decrypted", [field("lot", STR), field("bidder", STR)]),
  event("decryption_failed", [field("lot", STR), field("bidder", STR), field("reason_code", STR), field("attempt", INT)]),
  event("decryption_extended", [field("seconds", INT), field("reason", STR), field("ends_at", INSTANT)]),
  event("platform_fault_recorded", [field("bidder", opt(STR)), field("reason", STR), field("reported_by", ROLE)]),
  event("session_paused", [field("reason", STR)]),
  event("session_resumed", [field("ends_at", INSTANT)]),
  event("decryption_closed", [field("by_host", BOOL), field("outcomes", list(BID_OUTCOME))]),
  event("read_out", [field("lots", list(LOT_READOUT))]),
  event("confirmation_started", [field("ends_at", INSTANT)]),
  event("bidder_confirmed", [field("bidder", STR), field("signature", STR, "")]),
  event("objection_raised", [
    field("objection_id", STR),
    field("bidder", STR),
    field("bidder_name", STR, ""),
    field("lot", opt(STR)),
    field("text", STR),
    field("nonce", STR, ""),
    field("signature", STR, ""),
  ]),
  event("objection_answered", [field("objection_id", STR), field("text", STR)]),
  event("confirmation_closed", [field("early", BOOL), field("confirmed", list(STR)), field("deemed_accepted", list(STR))]),
  event("record_published", [field("sha256", STR), field("signature", STR)]),
  event("evaluation_stage_changed", [field("stage", EVALUATION_STAGE)]),
  event("result_published", [
    field("lot", STR),
    field("outcome", RESULT_OUTCOME),
    field("candidates", list(CANDIDATE)),
    field("reasons", map(REASON)),
    field("failure", STR, ""),
    field("publicity_days", INT),
    field("publicity_ends_at", INSTANT),
    field("sha256", STR),
    field("signature", STR),
  ]),
  event("result_objection_raised", [
    field("objection_id", STR),
    field("lot", STR),
    field("bidder", STR),
    field("bidder_name", STR),
    field("text", STR),
    field("answer_due_at", INSTANT),
    field("nonce", STR, ""),
    field("signature", STR, ""),
  ]),
  event("result_objection_answered", [field("objection_id", STR), field("text", STR), field("late", BOOL)]),
];

/** Each kind's declaration, by kind. */
export const EVENT_TYPES = new Map(EVENTS.map((e) => [e.kind, e]));

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

// The one spelling of an instant (codec.py): strptime's pattern for "%Y-%m-%dT%H:%M:%S.%fZ",
// whose \d is any Unicode decimal digit and whose letters match either case.
const INSTANT_PATTERN = /^(\p{Nd}{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\p{Nd}|0[1-9]|[1-9]| [1-9])[Tt](2[0-3]|[01]\p{Nd}|\p{Nd}):([0-5]\p{Nd}|\p{Nd}):(6[01]|[0-5]\p{Nd}|\p{Nd})\.([0-9]{1,6})[Zz]$/u;
const number = (digits) => codePoints(digits).reduce((n, ch) => n * 10 + digitValue(ch), 0);
const two = (n) => String(n).padStart(2, "0");

/**
 * The instant `text` names, in the spelling the core writes it (format_instant), or null.
 * The year is not padded: the hub's strftime (glibc) writes year 999 as "999".
 */
export function parseInstant(text) {
  const found = INSTANT_PATTERN.exec(text);
  if (found === null) return null;
  const [year, month, day, hour, minute, second] = found.slice(1, 7).map((d) => number(d.trim()));
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (year < 1 || day > days[month - 1] || second > 59) return null;
  const micro = found[7].padEnd(6, "0");
  return `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}.${micro}Z`;
}

/** An instant the core wrote, as text that orders as the instants do. */
export const instantOrder = (instant) => instant.padStart(instant.length + 4 - instant.indexOf("-"), "0");

function decodeValue(hint, raw, where) {
  if (hint.optional !== undefined) return raw === null ? null : decodeValue(hint.optional, raw, where);
  if (hint.list !== undefined) {
    if (!Array.isArray(raw)) throw new MalformedEvent(`${where} must be a list`);
    return raw.map((item, i) => decodeValue(hint.list, item, `${where}[${i}]`));
  }
  if (hint.map !== undefined) {
    if (!isObject(raw)) throw new MalformedEvent(`${where} must be an object`);
    return Object.fromEntries(Object.entries(raw).map(([key, item]) => [key, decodeValue(hint.map, item, `${where}.${key}`)]));
  }
  if (hint === INSTANT) {
    if (typeof raw !== "string") throw new MalformedEvent(`${where} must be an instant`);
    const instant = parseInstant(raw);
    if (instant === null) throw new MalformedEvent(`${where} is not an instant like 2026-01-02T03:04:05.000000Z`);
    return instant;
  }
  if (hint.enum !== undefined) {
    if (!hint.values.includes(raw)) throw new MalformedEvent(`${where} is not a valid ${hint.enum}`);
    return raw;
  }
  if (hint === STR || hint === BOOL || hint === INT) {
    const fits = hint === STR ? typeof raw === "string" : hint === BOOL ? typeof raw === "boolean" : Number.isInteger(raw);
    if (!fits) throw new MalformedEvent(`${where} must be of type ${hint}`);
    return raw;
  }
  return decodeDataclass(hint, raw, where);
}

function decodeDataclass(cls, raw, where) {
  if (!isObject(raw)) throw new MalformedEvent(`${where} must be an object`);
  const names = cls.fields.map((f) => f.name);
  const later = cls.fields.filter((f) => f.fallback !== REQUIRED).map((f) => f.name);
  const complete = cls.fields.every((f) => f.fallback !== REQUIRED || own(raw, f.name));
  if (!complete || Object.keys(raw).some((key) => !names.includes(key))) {
    throw new MalformedEvent(`${where} must have the fields ${names.join(", ")} (may lack: ${later.join(", ") || "-"})`);
  }
  const value = {};
  for (const f of cls.fields) value[f.name] = own(raw, f.name) ? decodeValue(f.hint, raw[f.name], `${where}.${f.name}`) : f.fallback;
  try {
    cls.check(value);
  } catch (error) {
    if (error instanceof SessionError) throw new MalformedEvent(`${where}: ${error.message}`);
    throw error;
  }
  return value;
}

// Earlier forms of a payload, read in today's form (events.py's upcasts): durations once
// counted in whole minutes, and results once logged as `ranked`, `winner` and `reasons`.
const MAX_CANDIDATES = 3;

function minutesToSeconds(payload, ...names) {
  for (const name of names) {
    const minutes = payload[`${name}minutes`];
    delete payload[`${name}minutes`];
    if (Number.isInteger(minutes) && !own(payload, `${name}seconds`)) payload[`${name}seconds`] = minutes * 60;
  }
  return payload;
}

function rankedToCandidates(payload) {
  const ranked = payload.ranked;
  delete payload.ranked;
  if (!Array.isArray(ranked)) return payload;
  delete payload.winner;
  const old = isObject(payload.reasons) ? payload.reasons : {};
  const candidates = ranked.slice(0, MAX_CANDIDATES).map(pyStr);
  const reasons = new Map();
  ranked.forEach((bidder, i) => {
    if (typeof bidder === "string" && !candidates.includes(bidder)) reasons.set(bidder, { clause: "", text: `第${i + 1}名 / ranked ${i + 1}` });
  });
  for (const [bidder, reason] of Object.entries(old)) {
    if (!candidates.includes(bidder) && isObject(reason)) {
      reasons.set(bidder, { clause: own(reason, "clause") ? reason.clause : "", text: own(reason, "text") ? reason.text : "" });
    }
  }
  for (const reason of reasons.values()) reason.disposition = "not_ranked";
  payload.outcome = "candidates";
  payload.candidates = candidates.map((bidder) => ({ bidder, price: null, score: null }));
  payload.reasons = Object.fromEntries(reasons);
  return payload;
}

const UPCASTS = new Map([
  ["session_scheduled", (p) => minutesToSeconds(p, "decryption_", "confirmation_")],
  ["decryption_extended", (p) => minutesToSeconds(p, "")],
  ["result_published", rankedToCandidates],
]);

/** The event `payload` stored under `kind`, in any earlier form; MalformedEvent otherwise. */
export function decodeEvent(kind, payload) {
  const cls = typeof kind === "string" && EVENT_TYPES.has(kind) ? EVENT_TYPES.get(kind) : undefined;
  if (cls === undefined) throw new MalformedEvent(`unknown event kind ${pyRepr(kind)}`);
  if (!isObject(payload)) throw new MalformedEvent(`${kind} payload must be an object`);
  const upcast = UPCASTS.get(kind);
  const current = upcast === undefined ? payload : upcast({ ...payload });
  return { kind, ...decodeDataclass(cls, current, kind) };
}

function describeHint(hint) {
  if (hint.optional !== undefined) return `opt(${describeHint(hint.optional)})`;
  if (hint.list !== undefined) return `list(${describeHint(hint.list)})`;
  if (hint.map !== undefined) return `map(${describeHint(hint.map)})`;
  if (hint.enum !== undefined) return hint.enum;
  return typeof hint === "string" ? hint : hint.name;
}

/**
 * The declarations, one line per class: `Name field:type[=default], …` (each event by its
 * kind), for the test that holds them to Python's dataclasses.
 */
export function describeDeclarations() {
  const classes = [];
  const valuesIn = (hint) => {
    if (hint.optional !== undefined) return valuesIn(hint.optional);
    if (hint.list !== undefined) return valuesIn(hint.list);
    if (hint.map !== undefined) return valuesIn(hint.map);
    return hint.fields !== undefined ? [hint] : [];
  };
  const line = (cls) => {
    for (const f of cls.fields) for (const found of valuesIn(f.hint)) if (!classes.includes(found)) classes.push(found);
    const fields = cls.fields.map((f) => `${f.name}:${describeHint(f.hint)}${f.fallback === REQUIRED ? "" : `=${JSON.stringify(f.fallback)}`}`);
    return `${cls.name} ${fields.join(", ")}`;
  };
  const lines = EVENTS.map(line);
  // A value's own values are described after it.
  for (let n = 0; n < classes.length; n += 1) lines.push(line(classes[n]));
  return lines;
}
