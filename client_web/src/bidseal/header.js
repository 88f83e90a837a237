/** The header of a sealed file: its JSON encoding, its strict decoding, and the context it names (section 2.1). */

import {
  b64uDecodeExact,
  b64uEncode,
  concatBytes,
  isWellFormed,
  u32,
  utf8,
} from "./bytes.js";
import {
  FORMAT_VERSION,
  MAGIC,
  MAX_CHUNK_SIZE,
  MAX_CONTEXT_CODE_POINTS,
  MAX_HEADER_LENGTH,
  MIN_CHUNK_SIZE,
  NONCE_PREFIX_LENGTH,
  SUITE,
  WRAPPED_KEY_LENGTH,
} from "./layout.js";
import { POINT_LENGTH } from "./primitives.js";
import { hasExactMembers, parseStrictJsonBytes } from "./strictjson.js";

/**
 * Rehearsal envelopes are wrapped for this tender id (section 2.8); no bid
 * may use it, or a rehearsal could get a real bid's data key unwrapped.
 */
export const REHEARSAL_TENDER = "rehearsal";

const MEMBERS = Object.freeze([
  "v",
  "suite",
  "tender",
  "lot",
  "bidder",
  "chunk_size",
  "nonce_prefix",
  "wrapped_key",
  "recipient_key",
  "signer_key",
]);

/**
 * Who and what a bid is for. Bound into the HPKE `info`, so a data key
 * unwraps only for the context it was sealed for.
 * @typedef {object} SealContext
 * @property {string} tender
 * @property {string} lot
 * @property {string} bidder
 */

/**
 * @typedef {object} SealedHeader
 * @property {number} v
 * @property {string} suite
 * @property {string} tender
 * @property {string} lot
 * @property {string} bidder
 * @property {number} chunkSize
 * @property {Uint8Array} noncePrefix 7 bytes
 * @property {Uint8Array} wrappedKey 113 bytes
 * @property {Uint8Array} recipientKey 65-byte point
 * @property {Uint8Array} signerKey 65-byte point
 */

/**
 * @param {unknown} value
 * @returns {value is string}
 */
export function isContextString(value) {
  if (typeof value !== "string" || !isWellFormed(value)) {
    return false;
  }
  const codePoints = [...value].length;
  return codePoints >= 1 && codePoints <= MAX_CONTEXT_CODE_POINTS;
}

/**
 * Checks a context given by a caller; a bad one is a programming or input
 * error, reported clearly (unlike a bad file).
 * @param {unknown} context
 * @returns {SealContext}
 * @throws {TypeError}
 */
export function checkContext(context) {
  if (typeof context !== "object" || context === null) {
    throw new TypeError("context must be an object {tender, lot, bidder}");
  }
  const { tender, lot, bidder } = /** @type {any} */ (context);
  for (const [name, value] of [
    ["tender", tender],
    ["lot", lot],
    ["bidder", bidder],
  ]) {
    if (!isContextString(value)) {
      throw new TypeError(`context.${name} must be a string of 1 to 128 code points`);
    }
  }
  return Object.freeze({ tender, lot, bidder });
}

/**
 * Checks the context of a bid to seal: as checkContext, and not the
 * reserved rehearsal tender.
 * @param {unknown} context
 * @returns {SealContext}
 * @throws {TypeError}
 */
export function checkBidContext(context) {
  const checked = checkContext(context);
  if (checked.tender === REHEARSAL_TENDER) {
    throw new TypeError(`the tender id "${REHEARSAL_TENDER}" is reserved for rehearsals`);
  }
  return checked;
}

/**
 * @param {SealContext} a
 * @param {SealContext} b
 * @returns {boolean}
 */
export function sameContext(a, b) {
  return a.tender === b.tender && a.lot === b.lot && a.bidder === b.bidder;
}

/**
 * The header JSON as writers store it: members in the order of the table in
 * section 2.1, no whitespace (JSON.stringify, like Python's compact
 * json.dumps with ensure_ascii=False), so that vectors are byte-exact.
 * @param {SealedHeader} header
 * @returns {Uint8Array}
 */
function encodeHeaderJson(header) {
  return utf8(
    JSON.stringify({
      v: header.v,
      suite: header.suite,
      tender: header.tender,
      lot: header.lot,
      bidder: header.bidder,
      chunk_size: header.chunkSize,
      nonce_prefix: b64uEncode(header.noncePrefix),
      wrapped_key: b64uEncode(header.wrappedKey),
      recipient_key: b64uEncode(header.recipientKey),
      signer_key: b64uEncode(header.signerKey),
    }),
  );
}

/**
 * The stored bytes magic || version || header_len || header JSON.
 * @param {SealedHeader} header
 * @returns {Uint8Array}
 */
export function encodeHeaderPrefix(header) {
  const json = encodeHeaderJson(header);
  if (json.length > MAX_HEADER_LENGTH) {
    throw new RangeError("header too long");
  }
  return concatBytes(MAGIC, new Uint8Array([FORMAT_VERSION]), u32(json.length), json);
}

/**
 * Decodes stored header JSON; null when it breaks section 2.1. Members may
 * come in any order with any JSON whitespace (the hash covers the bytes as
 * stored), but JSON outside the profile (section 0.1; here no number may
 * have a fraction or exponent), non-canonical b64u and the reserved tender are refused,
 * so that every implementation reads the same values from the same bytes.
 * Point validity (recipient_key, signer_key and the HPKE enc at the start of
 * wrapped_key) is checked by the caller, which needs the imported keys.
 * @param {Uint8Array} bytes
 * @returns {SealedHeader | null}
 */
export function decodeHeader(bytes) {
  let members;
  try {
    members = parseStrictJsonBytes(bytes, { integersOnly: true });
  } catch {
    return null;
  }
  if (!hasExactMembers(members, MEMBERS)) {
    return null;
  }
  const chunkSize = members.chunk_size;
  if (
    members.v !== FORMAT_VERSION ||
    members.suite !== SUITE ||
    !isContextString(members.tender) ||
    members.tender === REHEARSAL_TENDER ||
    !isContextString(members.lot) ||
    !isContextString(members.bidder) ||
    typeof chunkSize !== "number" ||
    !Number.isInteger(chunkSize) ||
    chunkSize < MIN_CHUNK_SIZE ||
    chunkSize > MAX_CHUNK_SIZE
  ) {
    return null;
  }
  try {
    return Object.freeze({
      v: FORMAT_VERSION,
      suite: SUITE,
      tender: members.tender,
      lot: members.lot,
      bidder: members.bidder,
      chunkSize,
      noncePrefix: b64uDecodeExact(members.nonce_prefix, NONCE_PREFIX_LENGTH),
      wrappedKey: b64uDecodeExact(members.wrapped_key, WRAPPED_KEY_LENGTH),
      recipientKey: b64uDecodeExact(members.recipient_key, POINT_LENGTH),
      signerKey: b64uDecodeExact(members.signer_key, POINT_LENGTH),
    });
  } catch {
    return null;
  }
}
