// After the deadline: a kept receipt's bid is in the public log. Checks a tlog-proof whose
// entry rides in its `extra` line (GET /api/sessions/{id}/receipts/{sha256}/proof) against
// the log's policy; the twin of check_receipt_proof in server/bidopen/verify/check.py, with
// its reasons. The proof may come from anywhere: the check needs only its text.

import { LogError } from "../tlog/errors.js";
import { checkProof, parseProof } from "../tlog/proof.js";
import { sha256Hex } from "./digest.js";
import { VerificationFailed } from "./failure.js";

/**
 * {index, size, cosigned, entry} once the receipt's bid is proven in the log under a
 * checkpoint `policy` accepts; VerificationFailed with the reason otherwise.
 * @param {string | Uint8Array} proofText @param {any} receipt the signed receipt envelope
 * @param {{open: Function}} policy logPolicy(…) of static/js/tlog/note.js
 * @param {string} serverKey b64u @param {Function} verifyDocument bidseal's verifySignedDocument
 */
export async function checkReceiptProof(proofText, receipt, policy, serverKey, verifyDocument) {
  let payload;
  try {
    payload = await verifyDocument(receipt, "receipt", serverKey);
  } catch {
    throw new VerificationFailed("the receipt is not signed by the server key: invalid signed document");
  }
  const digest = await sha256Hex(receipt.payload);
  let proof;
  let found;
  try {
    proof = parseProof(proofText);
    if (proof.extra === null) throw new VerificationFailed("the proof carries no entry");
    found = await checkProof(proof, proof.extra, policy);
  } catch (error) {
    if (error instanceof LogError) throw new VerificationFailed(`the receipt's proof: ${error.message}`);
    throw error;
  }
  let entry;
  try {
    entry = JSON.parse(new TextDecoder().decode(proof.extra));
  } catch {
    entry = {};
  }
  const expected = { type: "bid", session: payload.tender, bid_sha256: payload.bid_sha256, receipt_sha256: digest };
  if (Object.entries(expected).some(([k, v]) => entry[k] !== v)) {
    throw new VerificationFailed("the proven entry is not this receipt's bid");
  }
  return { index: proof.index, size: found.checkpoint.size, cosigned: found.cosigned, entry };
}
