/** The sealed opening summary: the read-out items and document metadata (format section 2.4). */

import { isWellFormed, utf8 } from "./bytes.js";
import { MAX_SUMMARY_PLAINTEXT } from "./layout.js";
import { parseStrictJsonBytes } from "./strictjson.js";

/** Writers pad the summary plaintext to a multiple of this many bytes (section 2.4). */
export const SUMMARY_PAD_TO = 1024;

/**
 * @typedef {object} OpeningSummary
 * @property {Record<string, string>} items read-out items (price, duration, ...) as decimal strings
 * @property {{name?: string, type?: string}} [document] optional metadata of the sealed document
 */

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * @param {unknown} items
 * @returns {boolean}
 */
function isItemMap(items) {
  return isPlainObject(items) && Object.values(items).every((v) => typeof v === "string");
}

/**
 * Whether every string (names included) has a UTF-8 form. A JSON escape such
 * as \ud800 names a lone surrogate, which a record quoting the summary could
 * not be written with later.
 * @param {unknown} value
 * @returns {boolean}
 */
function isWellFormedDeep(value) {
  if (typeof value === "string") {
    return isWellFormed(value);
  }
  if (Array.isArray(value)) {
    return value.every(isWellFormedDeep);
  }
  if (isPlainObject(value)) {
    return Object.entries(value).every(([k, v]) => isWellFormed(k) && isWellFormedDeep(v));
  }
  return true;
}

/**
 * The UTF-8 JSON plaintext of a summary given by a sealer.
 * @param {OpeningSummary} summary
 * @returns {Uint8Array}
 * @throws {TypeError | RangeError} on a summary the format does not allow
 */
export function encodeSummary(summary) {
  if (!isPlainObject(summary) || !isItemMap(summary.items)) {
    throw new TypeError("summary.items must be an object mapping item keys to strings");
  }
  if (!isWellFormedDeep(summary)) {
    throw new TypeError("the summary contains text with a lone surrogate");
  }
  // Serialised as given: JSON.stringify keeps the caller's member order
  // (except that integer-like keys come first, as in every JS object).
  const bytes = utf8(JSON.stringify(summary));
  if (bytes.length > MAX_SUMMARY_PLAINTEXT) {
    throw new RangeError(`the summary is ${bytes.length} bytes; at most ${MAX_SUMMARY_PLAINTEXT} are allowed`);
  }
  // Padded with spaces to a multiple of 1 KiB (section 2.4): the summary's length is
  // visible in the sealed file before the opening and must not tell a price's digits.
  const padded = Math.min(MAX_SUMMARY_PLAINTEXT, Math.ceil(bytes.length / SUMMARY_PAD_TO) * SUMMARY_PAD_TO);
  const out = new Uint8Array(padded).fill(0x20);
  out.set(bytes);
  return out;
}

/**
 * Parses a decrypted summary; null when it is not one.
 * @param {Uint8Array} plaintext
 * @returns {OpeningSummary | null}
 */
export function decodeSummary(plaintext) {
  if (plaintext.length > MAX_SUMMARY_PLAINTEXT) {
    return null;
  }
  try {
    const summary = parseStrictJsonBytes(plaintext);
    return isPlainObject(summary) && isItemMap(summary.items) && isWellFormedDeep(summary)
      ? /** @type {OpeningSummary} */ (/** @type {unknown} */ (summary))
      : null;
  } catch {
    return null;
  }
}
