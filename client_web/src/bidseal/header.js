/** The header of a sealed file: its JSON encoding, its strict decoding, and the context it names (section 2.1). */

import {
  b64uDecodeExact,
  b64uEncode,
  concatBytes,
  fromUtf8,
  isWellFormed,
  u32,
  utf8,
} from "./bytes.js";
import { FlatJsonError, parseFlatObject } from "./flatjson.js";
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

const MEMBERS = [
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
];

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
 * The stored bytes magic || version || header_len || header JSON.
 * @param {SealedHeader} header
 * @returns {Uint8Array}
 */
export function encodeHeaderPrefix(header) {
  // Built in the order of the table in section 2.1 and serialised without
  // whitespace, so that vectors are byte-exact across implementations.
  const json = JSON.stringify({
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
  });
  const bytes = utf8(json);
  if (bytes.length > MAX_HEADER_LENGTH) {
    throw new RangeError("header too long");
  }
  return concatBytes(MAGIC, new Uint8Array([FORMAT_VERSION]), u32(bytes.length), bytes);
}

/**
 * Decodes header JSON bytes; null when they are not a valid header. Point
 * validity is checked by the caller, which needs the imported keys anyway.
 * @param {Uint8Array} bytes
 * @returns {SealedHeader | null}
 */
export function decodeHeader(bytes) {
  let members;
  try {
    members = parseFlatObject(fromUtf8(bytes));
  } catch (error) {
    if (error instanceof FlatJsonError || error instanceof TypeError) {
      return null;
    }
    throw error;
  }
  if (members.size !== MEMBERS.length || !MEMBERS.every((m) => members.has(m))) {
    return null;
  }
  const get = (/** @type {string} */ name) => members.get(name);
  const chunkSize = get("chunk_size");
  if (
    get("v") !== FORMAT_VERSION ||
    get("suite") !== SUITE ||
    !isContextString(get("tender")) ||
    !isContextString(get("lot")) ||
    !isContextString(get("bidder")) ||
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
      tender: /** @type {string} */ (get("tender")),
      lot: /** @type {string} */ (get("lot")),
      bidder: /** @type {string} */ (get("bidder")),
      chunkSize,
      noncePrefix: b64uDecodeExact(get("nonce_prefix"), NONCE_PREFIX_LENGTH),
      wrappedKey: b64uDecodeExact(get("wrapped_key"), WRAPPED_KEY_LENGTH),
      recipientKey: b64uDecodeExact(get("recipient_key"), POINT_LENGTH),
      signerKey: b64uDecodeExact(get("signer_key"), POINT_LENGTH),
    });
  } catch {
    return null;
  }
}
