// The room's own signed documents: receipts and withdrawals kept when they arrive, and the
// hub's postponement notices and deadline statement checked against the receipt's key.

import { b64uEncode, verifySignedDocument } from "/static/vendor/bidseal.bundle.js";
import { t } from "../i18n.js";
import { trustedServerKey } from "../record.js";
import { keepBidDocument, listBidDocuments } from "../vault.js";
import { ReleaseRefused, bidDocument, deadlineStatement, planRelease, postponement } from "./release.js";

/** A document that does not name what the room sent, or signs no usable deadline. */
export class DocumentRefused extends Error {
  constructor(key, vars = {}) {
    super(t(key, vars));
    this.name = "DocumentRefused";
  }
}

function envelopeOf(envelope) {
  return typeof envelope === "string" ? JSON.parse(envelope) : envelope;
}

/**
 * Verify a receipt or withdrawal that just arrived with the server key, check that it names
 * (tender, lot, bidder) and, for a receipt, our very file and a deadline no earlier than the
 * one the tender showed; then keep it in this browser. Returns `{payload, kept}`.
 */
export async function keepArrived(api, type, envelope, { tender, lot, bidder, bidSha256 = null, shownDeadline = null }) {
  const payload = await verifySignedDocument(envelope, type, await trustedServerKey(api));
  const kept = bidDocument(type, payload, envelopeOf(envelope).key);
  if (kept.tender !== tender || kept.lot !== lot || kept.bidder !== bidder || (bidSha256 !== null && kept.bidSha256 !== bidSha256)) {
    throw new DocumentRefused("submit.receipt_mismatch");
  }
  if (type === "receipt" && shownDeadline !== null && (kept.deadline === null || kept.deadline < Date.parse(shownDeadline))) {
    throw new DocumentRefused("release.receipt_deadline_invalid");
  }
  try {
    await keepBidDocument({
      type,
      tender,
      lot,
      bidder,
      bidSha256: kept.bidSha256,
      at: kept.atText,
      envelope: typeof envelope === "string" ? envelope : JSON.stringify(envelope),
    });
    return { payload, kept: true };
  } catch {
    // No IndexedDB here (private mode, policy): the bidder keeps the downloaded document.
    return { payload, kept: false };
  }
}

/**
 * The receipts and withdrawals this browser kept for (tender, lot, bidder) (`lot` null: all),
 * each checked again against the key it names: its integrity. Its signer was checked against
 * the server key when it arrived, and documents are only compared with ones of the same key.
 */
export async function keptDocuments(tender, lot, bidder) {
  const records = await listBidDocuments(tender, lot, bidder).catch(() => []);
  const documents = [];
  for (const record of records) {
    try {
      const payload = await verifySignedDocument(record.envelope, record.type, envelopeOf(record.envelope).key);
      documents.push(bidDocument(record.type, payload, envelopeOf(record.envelope).key));
    } catch {
      // A damaged entry counts for nothing; without a receipt nothing is opened.
    }
  }
  return documents;
}

/** The tender's signed postponement notices, each verified with the receipt's key. */
export async function postponementsOf(api, tender, key) {
  const { notices } = await api.get(`/api/tenders/${encodeURIComponent(tender)}/postponements`);
  if (!Array.isArray(notices)) throw new ReleaseRefused("notice_invalid", { what: "postponement" });
  const checked = [];
  for (const notice of notices) {
    try {
      checked.push(postponement(await verifySignedDocument(notice, "postponement", key), key));
    } catch (error) {
      if (error instanceof ReleaseRefused) throw error;
      throw new ReleaseRefused("notice_invalid", { what: "postponement" });
    }
  }
  return checked;
}

/** The hub's signed statement of the deadline in force, over a fresh nonce of ours. */
async function statementOf(api, tender, key) {
  const nonce = b64uEncode(crypto.getRandomValues(new Uint8Array(18)));
  const { statement } = await api.get(`/api/tenders/${encodeURIComponent(tender)}/deadline?nonce=${nonce}`);
  try {
    return { nonce, statement: deadlineStatement(await verifySignedDocument(statement, "deadline", key), key) };
  } catch (error) {
    if (error instanceof ReleaseRefused) throw error;
    throw new ReleaseRefused("notice_invalid", { what: "deadline" });
  }
}

/**
 * When the bid of `receipt` may be opened: from the receipt, the verified notices and the
 * signed statement; `stated` are deadlines the hub says unsigned (waited for, never trusted).
 */
export async function releasePlan(api, receipt, stated) {
  const notices = await postponementsOf(api, receipt.tender, receipt.key);
  const { nonce, statement } = await statementOf(api, receipt.tender, receipt.key);
  return planRelease(receipt, notices, { stated, statement, nonce });
}

/**
 * The deadline the room can show for a tender from its own documents: the latest its kept
 * receipts sign, moved by later verified notices; null without a receipt. Display only.
 */
export async function signedDeadlineOf(api, tender, bidder) {
  const receipts = (await keptDocuments(tender, null, bidder)).filter((d) => d.type === "receipt" && d.deadline !== null);
  if (receipts.length === 0) return null;
  const latest = receipts.reduce((a, b) => (b.deadline > a.deadline ? b : a));
  let deadline = { at: latest.deadline, text: latest.deadlineText };
  const notices = await postponementsOf(api, tender, latest.key).catch(() => []);
  for (const notice of notices) {
    if (notice.deadline > deadline.at) deadline = { at: notice.deadline, text: notice.deadlineText };
  }
  return deadline;
}
