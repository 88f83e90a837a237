/** The header of a sealed file: its JSON encoding, its strict decoding, and the context it names (section 2.1). */

import {
  b64uDecodeExact,
  b64uEncode,
  concatBytes,
  equalBytes,
  fromUtf8,
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
 * @param {SealContext} a
 * @param {SealContext} b
 * @returns {boolean}
 */
export function sameContext(a, b) {
  return a.tender === b.tender && a.lot === b.lot && a.bidder === b.bidder;
}

/**
 * The header JSON as writers store it: members in the order of the table in
 * section 2.1, no whitespace, so that vectors are byte-exact across
 * implementations.
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
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Decodes stored header JSON; null unless it is a valid header in its one
 * canonical spelling. Requiring the bytes a writer would produce rules out
 * duplicate members, 1.0 for 1, escapes and spacing, so that no two readers
 * (JSON.parse here, json.loads in Python) can see different headers in the
 * same signed bytes. Point validity is checked by the caller, which needs
 * the imported keys anyway.
 * @param {Uint8Array} bytes
 * @returns {SealedHeader | null}
 */
export function decodeHeader(bytes) {
  let members;
  try {
    members = JSON.parse(fromUtf8(bytes));
  } catch {
    return null;
  }
  if (!isPlainObject(members)) {
    return null;
  }
  const chunkSize = members.chunk_size;
  if (
    members.v !== FORMAT_VERSION ||
    members.suite !== SUITE ||
    !isContextString(members.tender) ||
    !isContextString(members.lot) ||
    !isContextString(members.bidder) ||
    typeof chunkSize !== "number" ||
    !Number.isInteger(chunkSize) ||
    chunkSize < MIN_CHUNK_SIZE ||
    chunkSize > MAX_CHUNK_SIZE
  ) {
    return null;
  }
  let header;
  try {
    header = Object.freeze({
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
  return equalBytes(encodeHeaderJson(header), bytes) ? header : null;
}
