/** Constants and size arithmetic of the sealed file layout (format section 2). */

import { GCM_TAG_LENGTH, SIGNATURE_LENGTH } from "./primitives.js";

export const MAGIC = new TextEncoder().encode("BIDSEAL");
export const FORMAT_VERSION = 1;
export const SUITE = "P256-SHA256-AES256GCM";
/** magic (7) || version (1) || header_len (4) */
export const PREFIX_LENGTH = 12;
export const MIN_HEADER_LENGTH = 1;
export const MAX_HEADER_LENGTH = 65_536;
export const MAX_SUMMARY_PLAINTEXT = 65_536;
export const MIN_SUMMARY_LENGTH = GCM_TAG_LENGTH;
export const MAX_SUMMARY_LENGTH = MAX_SUMMARY_PLAINTEXT + GCM_TAG_LENGTH;
export const MIN_CHUNK_SIZE = 64;
export const MAX_CHUNK_SIZE = 16_777_216;
export const DEFAULT_CHUNK_SIZE = 1_048_576;
export const NONCE_PREFIX_LENGTH = 7;
export const DATA_KEY_LENGTH = 32;
/** HPKE enc (65) || ct (32 + 16) */
export const WRAPPED_KEY_LENGTH = 113;
export const MAX_CONTEXT_CODE_POINTS = 128;
export const MAX_CHUNKS = 2 ** 32;

/**
 * How a body of `size` plaintext bytes is cut into chunks (section 2.5).
 * @param {number} size
 * @param {number} chunkSize
 * @returns {{count: number, lastPlaintextLength: number}}
 */
export function chunkPlanForPlaintext(size, chunkSize) {
  const count = Math.max(1, Math.ceil(size / chunkSize));
  return { count, lastPlaintextLength: size - (count - 1) * chunkSize };
}

/**
 * How a reader finds chunk boundaries in `bodyLength` stored bytes (section 2.5),
 * or null when no valid cut exists.
 * @param {number} bodyLength
 * @param {number} chunkSize
 * @returns {{count: number, lastStoredLength: number} | null}
 */
export function chunkPlanForStored(bodyLength, chunkSize) {
  const stride = chunkSize + GCM_TAG_LENGTH;
  if (bodyLength < GCM_TAG_LENGTH) {
    return null;
  }
  // Every chunk but the last is exactly one stride; the last is 16..stride bytes.
  const count = Math.max(1, Math.ceil(bodyLength / stride));
  const lastStoredLength = bodyLength - (count - 1) * stride;
  if (lastStoredLength < GCM_TAG_LENGTH || count > MAX_CHUNKS) {
    return null;
  }
  // An empty last chunk is the empty document only: a document of whole
  // chunks has one encoding, ending in a full chunk.
  if (lastStoredLength === GCM_TAG_LENGTH && count > 1) {
    return null;
  }
  return { count, lastStoredLength };
}

/**
 * Size of the whole sealed file.
 * @param {number} headerLength
 * @param {number} summaryLength
 * @param {number} documentSize
 * @param {number} chunkSize
 * @returns {number}
 */
export function sealedFileSize(headerLength, summaryLength, documentSize, chunkSize) {
  const { count } = chunkPlanForPlaintext(documentSize, chunkSize);
  return (
    PREFIX_LENGTH +
    headerLength +
    4 +
    summaryLength +
    documentSize +
    count * GCM_TAG_LENGTH +
    SIGNATURE_LENGTH
  );
}
