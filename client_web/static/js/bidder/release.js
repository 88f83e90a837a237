// When the bidder room may hand over a data key: decided from what this browser holds itself.
//
// The same rule as the Python client (server/bidopen/client/release.py): the hub asks for a
// data key during the decryption window, but a room that believed the hub could be made to
// open a bid before its deadline, or a bid the bidder replaced or withdrew. So the room
// decides from the signed documents it kept and from this computer's clock:
//
// - the bid is the one of the latest receipt kept for (tender, lot, bidder), and no kept
//   withdrawal ends it; the sealed file must be that very bid (its hash);
// - the deadline is the receipt's, or a later one from a postponement notice signed by the
//   same key for the same tender; a document naming an earlier deadline is refused; the
//   hub's signed statement over our nonce must agree and count no more postponements than
//   the notices shown; a later deadline the hub only states (unsigned) is waited for too;
// - this computer's clock must read at least CLOCK_MARGIN_MS past that deadline. The hub's
//   clock (GET /api/time) serves countdowns only.
//
// Pure: the caller gathers the verified payloads and reads the clock. A refusal is a
// ReleaseRefused with a code and the facts its message needs (translated by the page).

import { instantMs } from "../clock.js";

/** How far past the deadline this computer's clock must be before a key is handed over. */
export const CLOCK_MARGIN_MS = 2000;
/** Receipts and withdrawals from this version on sign the deadline (sealed-bid format 4.1). */
export const FIRST_VERSION_WITH_DEADLINE = 2;

export class ReleaseRefused extends Error {
  constructor(code, facts = {}) {
    super(`key release refused: ${code}`);
    this.name = "ReleaseRefused";
    this.code = code;
    this.facts = facts;
  }
}

function invalid(what) {
  return new ReleaseRefused("document_invalid", { what });
}

function text(value, what) {
  if (typeof value !== "string" || value === "") throw invalid(what);
  return value;
}

function instant(value, what) {
  try {
    return instantMs(value);
  } catch {
    throw invalid(what);
  }
}

/**
 * A verified receipt or withdrawal as the room keeps it. `payload` is what
 * verifySignedDocument returned; `key` the b64u server key that signed it.
 */
export function bidDocument(type, payload, key) {
  if (type !== "receipt" && type !== "withdrawal") throw invalid(type);
  const version = payload.version ?? 1;
  const signsDeadline = Number.isInteger(version) && version >= FIRST_VERSION_WITH_DEADLINE && payload.deadline != null;
  const atText = text(payload[type === "receipt" ? "received_at" : "withdrawn_at"], type);
  return {
    type,
    tender: text(payload.tender, type),
    lot: text(payload.lot, type),
    bidder: text(payload.bidder, type),
    bidSha256: text(payload.bid_sha256, type),
    deadline: signsDeadline ? instant(payload.deadline, type) : null,
    deadlineText: signsDeadline ? payload.deadline : null,
    tenderCode: typeof payload.tender_code === "string" ? payload.tender_code : "",
    tenderTitle: typeof payload.tender_title === "string" ? payload.tender_title : "",
    lotName: typeof payload.lot_name === "string" ? payload.lot_name : "",
    at: instant(atText, type),
    atText,
    key: text(key, type),
  };
}

/** A verified postponement notice: the tender's deadline moved from `previous` to `deadline`. */
export function postponement(payload, key) {
  return {
    tender: text(payload.tender, "postponement"),
    previous: instant(payload.previous_deadline, "postponement"),
    deadline: instant(payload.deadline, "postponement"),
    deadlineText: payload.deadline,
    key: text(key, "postponement"),
  };
}

/** The hub's signed word, over this room's nonce, on the deadline in force now. */
export function deadlineStatement(payload, key) {
  if (!Number.isInteger(payload.postponements) || payload.postponements < 0) throw invalid("deadline");
  return {
    tender: text(payload.tender, "deadline"),
    deadline: instant(payload.deadline, "deadline"),
    deadlineText: payload.deadline,
    postponements: payload.postponements,
    nonce: text(payload.nonce, "deadline"),
    key: text(key, "deadline"),
  };
}

/**
 * The receipt of the bid this room may open in (tender, lot): the latest kept, not withdrawn.
 * `kept` holds every receipt and withdrawal the room kept; `sealedSha256` is the hash of
 * the sealed file about to be opened.
 */
export function chosenBid(kept, { tender, lot, bidder, sealedSha256 }) {
  const mine = kept.filter((d) => d.tender === tender && d.lot === lot && d.bidder === bidder);
  const receipts = mine.filter((d) => d.type === "receipt");
  if (receipts.length === 0) throw new ReleaseRefused("no_receipt", { tender, lot });
  // The newest by the hub's signed time, whatever order they were kept in.
  const latest = receipts.reduce((a, b) => (b.at > a.at ? b : a));
  const facts = { lot: latest.lotName || lot, bid: latest.bidSha256.slice(0, 16), at: latest.atText };
  if (mine.some((d) => d.type === "withdrawal" && d.bidSha256 === latest.bidSha256 && d.at >= latest.at)) {
    throw new ReleaseRefused("bid_withdrawn", facts);
  }
  if (sealedSha256 !== latest.bidSha256) {
    const replaced = receipts.some((d) => d.bidSha256 === sealedSha256);
    throw new ReleaseRefused(replaced ? "bid_replaced" : "not_this_bid", { ...facts, file: String(sealedSha256).slice(0, 16) });
  }
  if (latest.deadline === null) throw new ReleaseRefused("receipt_without_deadline", facts);
  return latest;
}

function earlier(named, signed, what) {
  return new ReleaseRefused("deadline_earlier", { what, named, signed });
}

/**
 * The deadline in force by signed documents (ms): the receipt's, or a later notice's. The
 * statement, asked for with `nonce`, must agree: same key and tender, our nonce, no earlier
 * deadline, and exactly as many postponements as the notices shown.
 */
export function signedDeadline(receipt, notices, statement = null, nonce = null) {
  let deadline = receipt.deadline;
  let deadlineText = receipt.deadlineText;
  for (const notice of notices) {
    if (notice.tender !== receipt.tender || notice.key !== receipt.key) throw new ReleaseRefused("notice_invalid", { what: "postponement" });
    if (notice.deadline < deadline) throw earlier(notice.deadlineText, deadlineText, "postponement");
    deadline = notice.deadline;
    deadlineText = notice.deadlineText;
  }
  if (statement === null) return { deadline, deadlineText };
  if (statement.tender !== receipt.tender || statement.key !== receipt.key || statement.nonce !== nonce) {
    throw new ReleaseRefused("notice_invalid", { what: "deadline" });
  }
  if (statement.deadline < deadline) throw earlier(statement.deadlineText, deadlineText, "deadline");
  if (statement.postponements !== notices.length) {
    throw new ReleaseRefused("notice_missing", { stated: statement.postponements, shown: notices.length });
  }
  return statement.deadline > deadline ? { deadline: statement.deadline, deadlineText: statement.deadlineText } : { deadline, deadlineText };
}

/**
 * What the room is about to open and from when its own clock allows it: never before the
 * latest deadline anyone named. `stated` are deadlines the hub says without signing (ISO).
 */
export function planRelease(receipt, notices, { stated = [], marginMs = CLOCK_MARGIN_MS, statement = null, nonce = null } = {}) {
  const signed = signedDeadline(receipt, notices, statement, nonce);
  let deadline = signed.deadline;
  let deadlineText = signed.deadlineText;
  for (const said of stated) {
    let at;
    try {
      at = instantMs(said);
    } catch {
      continue; // An unreadable stated deadline adds nothing; the signed one stands.
    }
    if (at > deadline) {
      deadline = at;
      deadlineText = said;
    }
  }
  return {
    receipt,
    deadline,
    deadlineText,
    signed: signed.deadline,
    signedText: signed.deadlineText,
    opensAt: deadline + marginMs,
    unsignedLater: deadline > signed.deadline,
  };
}

/** ReleaseRefused("before_deadline") unless this computer's clock (ms) allows opening now. */
export function checkTime(release, ownNowMs) {
  if (ownNowMs >= release.opensAt) return;
  throw new ReleaseRefused("before_deadline", {
    deadline: release.deadlineText,
    signed: release.signedText,
    unsignedLater: release.unsignedLater,
    own: new Date(ownNowMs).toISOString(),
  });
}
