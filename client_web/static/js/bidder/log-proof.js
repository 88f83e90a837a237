// After the deadline the public log, not the receipt alone, protects the bidder: the room
// fetches the tlog-proof of each receipt it kept for the tender, checks it in this browser
// (static/js/verify/receipt-proof.js) and keeps it with the receipt. A receipt the hub signed
// but cannot prove in the log is the platform's fault, and the room says so.

import { verifySignedDocument } from "/static/vendor/bidseal.bundle.js";
import { trustedServerKey } from "../record.js";
import { ed25519Verifier, logPolicy } from "../tlog/note.js";
import { sha256Hex } from "../verify/digest.js";
import { checkReceiptProof } from "../verify/receipt-proof.js";
import { keepLogProof, listBidDocuments } from "../vault.js";

// The deadline batch and its checkpoint follow the deadline within seconds; until this margin
// has passed a missing proof is waited for, after it a missing proof is refused.
export const BATCH_MARGIN_MS = 60_000;

/** A kept receipt is not in the log (missing) or its proof does not hold (invalid). */
export class LogProofRefused extends Error {
  constructor(code, facts) {
    super(`log proof refused: ${code}`);
    this.name = "LogProofRefused";
    this.code = code;
    this.facts = facts;
  }
}

async function hubLogPolicy(api) {
  const response = await api.get("/log/vkey", { raw: true });
  return logPolicy(await ed25519Verifier((await response.text()).trim()));
}

/**
 * Prove every receipt this browser kept for (tender, bidder); `{state: "proven", proofs}` with
 * each receipt's log index, or `{state: "waiting"}` while the batch may still be on its way.
 * LogProofRefused when a receipt is missing from the log or its proof does not hold.
 */
export async function proveKeptReceipts(api, tender, bidder, nowMs) {
  const receipts = (await listBidDocuments(tender, null, bidder)).filter((d) => d.type === "receipt");
  if (!receipts.length) return { state: "proven", proofs: [] };
  const policy = await hubLogPolicy(api);
  const serverKey = await trustedServerKey(api);
  const proofs = [];
  for (const record of receipts) {
    const envelope = JSON.parse(record.envelope);
    const payload = JSON.parse(envelope.payload);
    const digest = await sha256Hex(envelope.payload);
    let text = record.logProof?.text ?? null;
    if (text === null) {
      try {
        const response = await api.get(`/api/sessions/${encodeURIComponent(tender)}/receipts/${digest}/proof`, { raw: true });
        text = await response.text();
      } catch (error) {
        if (error?.code !== "not_found") throw error;
        if (nowMs < Date.parse(payload.deadline) + BATCH_MARGIN_MS) return { state: "waiting" };
        throw new LogProofRefused("missing", { receipt: payload.receipt_id, bid: record.bidSha256.slice(0, 16) });
      }
    }
    let found;
    try {
      found = await checkReceiptProof(text, envelope, policy, serverKey, verifySignedDocument);
    } catch (error) {
      throw new LogProofRefused("invalid", { receipt: payload.receipt_id, reason: error.reason ?? error.message });
    }
    if (!record.logProof) await keepLogProof(record.id, { text, index: found.index, size: found.size }).catch(() => null);
    proofs.push({ lot: record.lot, index: found.index });
  }
  return { state: "proven", proofs };
}
