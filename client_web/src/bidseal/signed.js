/** Documents signed by the server (receipts, records, results) and the bidder's sign-in challenge signature (format section 4). */

import { b64uDecodeExact, b64uEncode, equalBytes, utf8 } from "./bytes.js";
import { InvalidSignedDocumentError } from "./errors.js";
import { parseStrictJson } from "./strictjson.js";
import {
  POINT_LENGTH,
  SIGNATURE_LENGTH,
  ecdsaSign,
  ecdsaVerify,
  importPublicPoint,
} from "./primitives.js";

export const SIGNED_FORMAT = "bidseal-signed/1";
export const SIGNED_TYPES = Object.freeze([
  "receipt",
  "withdrawal",
  "postponement",
  "deadline",
  "opening-record",
  "evaluation-result",
  "log-head",
]);
const AUTH_LABEL = "bidopen-auth/1";
const ENVELOPE_MEMBERS = ["format", "type", "payload", "signature", "key"];

/**
 * @typedef {object} SignedDocument
 * @property {string} format
 * @property {string} type
 * @property {string} payload a JSON text
 * @property {string} signature b64u r || s
 * @property {string} key b64u 65-byte server public key
 */

/**
 * The bytes the server signs: "bidseal-signed/1\n" || type || "\n" || utf8(payload).
 * @param {string} type
 * @param {string} payload
 * @returns {Uint8Array}
 */
export function signedDocumentMessage(type, payload) {
  return utf8(`${SIGNED_FORMAT}\n${type}\n${payload}`);
}

/**
 * Verifies a signed document against the server key the caller trusts, and
 * only then parses its payload.
 * @param {SignedDocument | string} envelope the parsed JSON object, or its text
 * @param {string} expectedType e.g. "receipt"
 * @param {string} trustedKeyB64u the server key from GET /api/server-key
 * @returns {Promise<Record<string, unknown>>} the parsed payload object
 * @throws {InvalidSignedDocumentError}
 */
export async function verifySignedDocument(envelope, expectedType, trustedKeyB64u) {
  if (!SIGNED_TYPES.includes(expectedType)) {
    throw new TypeError(`unknown signed document type: ${expectedType}`);
  }
  const trustedKey = b64uDecodeExact(trustedKeyB64u, POINT_LENGTH);
  const fail = () => {
    throw new InvalidSignedDocumentError();
  };
  let doc = envelope;
  if (typeof envelope === "string") {
    try {
      doc = parseStrictJson(envelope);
    } catch {
      return fail();
    }
  }
  if (
    typeof doc !== "object" ||
    doc === null ||
    Array.isArray(doc) ||
    Object.keys(doc).length !== ENVELOPE_MEMBERS.length ||
    !ENVELOPE_MEMBERS.every((m) => Object.hasOwn(doc, m))
  ) {
    return fail();
  }
  const { format, type, payload, signature, key } = /** @type {SignedDocument} */ (doc);
  if (format !== SIGNED_FORMAT || type !== expectedType || typeof payload !== "string") {
    fail();
  }
  let ok = false;
  try {
    // Compared as bytes: a differently spelled b64u of the trusted key is
    // still the trusted key.
    ok =
      equalBytes(b64uDecodeExact(key, POINT_LENGTH), trustedKey) &&
      (await ecdsaVerify(
        await importPublicPoint(trustedKey, "ecdsa"),
        b64uDecodeExact(signature, SIGNATURE_LENGTH),
        signedDocumentMessage(type, payload),
      ));
  } catch {
    ok = false;
  }
  if (!ok) {
    fail();
  }
  let parsed;
  try {
    // Strict: the payload's meaning must not depend on which duplicate wins.
    parsed = parseStrictJson(payload);
  } catch {
    return fail();
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return fail();
  }
  return /** @type {Record<string, unknown>} */ (parsed);
}

/**
 * The message a bidder signs to sign in.
 * @param {string} challenge
 * @param {string} audience
 * @returns {Uint8Array}
 */
export function challengeMessage(challenge, audience) {
  return utf8(`${AUTH_LABEL}\n${audience}\n${challenge}`);
}

/**
 * Signs a server challenge with the bidder's signing key (ECDSA P-256 SHA-256).
 * @param {import("./keys.js").BidderKeys} keys
 * @param {string} challenge as sent by the server
 * @param {string} audience the server's origin or name, as the server states it
 * @returns {Promise<string>} b64u r || s
 */
export async function signChallenge(keys, challenge, audience) {
  if (typeof challenge !== "string" || typeof audience !== "string") {
    throw new TypeError("challenge and audience must be strings");
  }
  if (audience.includes("\n")) {
    // A newline would let one (audience, challenge) pair pose as another.
    throw new TypeError("the audience must not contain a newline");
  }
  return b64uEncode(await ecdsaSign(keys.signing.privateKey, challengeMessage(challenge, audience)));
}
