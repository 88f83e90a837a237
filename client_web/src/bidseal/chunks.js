/** Nonces of the STREAM construction that encrypts the body chunk by chunk (format section 2.5). */

import { NONCE_PREFIX_LENGTH } from "./layout.js";

/**
 * nonce_i = nonce_prefix (7) || u32(i) || last_flag (1)
 * @param {Uint8Array} noncePrefix
 * @param {number} index
 * @param {boolean} last
 * @returns {Uint8Array} 12 bytes
 */
export function chunkNonce(noncePrefix, index, last) {
  const nonce = new Uint8Array(12);
  nonce.set(noncePrefix, 0);
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_LENGTH, index);
  nonce[11] = last ? 0x01 : 0x00;
  return nonce;
}

/**
 * The summary's nonce: twelve zero bytes, safe because the summary key
 * encrypts this one message only (section 2.4).
 * @returns {Uint8Array}
 */
export function summaryNonce() {
  return new Uint8Array(12);
}
