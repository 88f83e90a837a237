/**
 * What a bidder signs (twin of crypto/bidseal/statements.py): its confirmation of the
 * read-out, an objection during the opening, and an objection to a lot's published result.
 * A message is a domain string of its own,
 * a line break, and the canonical JSON (sorted keys, no spaces, UTF-8) of what is said; the
 * signature is ECDSA P-256 SHA-256 `r || s` by the bidder's signing key (the sign-in key).
 */

import { b64uDecodeExact, b64uEncode, utf8 } from "./bytes.js";
import { POINT_LENGTH, SIGNATURE_LENGTH, ecdsaSign, ecdsaVerify, importPublicPoint, sha256 } from "./primitives.js";

export const CONFIRMATION_LABEL = "bidopen-confirmation/1";
export const OBJECTION_LABEL = "bidopen-objection/1";
export const RESULT_OBJECTION_LABEL = "bidopen-result-objection/1";

/** Sorted keys, no spaces, non-ASCII as is: Python's json.dumps(sort_keys=True, ensure_ascii=False). */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

const message = (label, fields) => utf8(`${label}\n${canonicalJson(fields)}`);

/** SHA-256 (hex) of the read-out as canonical JSON: what a confirmation is about. */
export async function readoutSha256(readout) {
  const digest = await sha256(utf8(canonicalJson(readout ?? null)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** @returns {Uint8Array} */
export function confirmationMessage(session, bidder, readoutDigest) {
  return message(CONFIRMATION_LABEL, { session, bidder, readout_sha256: readoutDigest });
}

/** @param {string | null} lot null: about the whole opening */
export function objectionMessage(session, bidder, lot, nonce, text) {
  return message(OBJECTION_LABEL, { session, bidder, lot, nonce, text });
}

/** An objection to the published result of `lot`. */
export function resultObjectionMessage(session, bidder, lot, nonce, text) {
  return message(RESULT_OBJECTION_LABEL, { session, bidder, lot, nonce, text });
}

/** b64u `r || s` over a statement message, by the bidder's signing key. */
export async function signStatement(keys, statement) {
  return b64uEncode(await ecdsaSign(keys.signing.privateKey, statement));
}

/**
 * True only for a valid signature by the bidder's signing key (b64u 65-byte point);
 * malformed input is false.
 */
export async function verifyStatement(signingKey, statement, signature) {
  try {
    const point = b64uDecodeExact(signingKey, POINT_LENGTH);
    const raw = b64uDecodeExact(signature, SIGNATURE_LENGTH);
    return await ecdsaVerify(await importPublicPoint(point, "ecdsa"), raw, statement);
  } catch {
    return false;
  }
}
