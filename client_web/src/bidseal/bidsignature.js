/** What the bidder signs over a sealed file, and the bid hash that names the file (format sections 2.6, 2.7). */

import { concatBytes, hex, utf8 } from "./bytes.js";
import { sha256 } from "./primitives.js";

const SIGNATURE_LABEL = utf8("bidseal/1 signature");

/**
 * tbs = "bidseal/1 signature" || header_hash || H(summary block) || body_digest
 * @param {Uint8Array} headerHash
 * @param {Uint8Array} summaryBlock u32(summary_len) || summary_ct, as stored
 * @param {Uint8Array} bodyDigest
 * @returns {Promise<Uint8Array>}
 */
export async function toBeSigned(headerHash, summaryBlock, bodyDigest) {
  return concatBytes(SIGNATURE_LABEL, headerHash, await sha256(summaryBlock), bodyDigest);
}

/**
 * body_digest = H(H(c_0) || ... || H(c_{n-1})), from the concatenated chunk hashes.
 * @param {Uint8Array} chunkHashes
 * @returns {Promise<Uint8Array>}
 */
export function bodyDigest(chunkHashes) {
  return sha256(chunkHashes);
}

/**
 * bid_sha256 = hex(H(tbs || signature)).
 * @param {Uint8Array} tbs
 * @param {Uint8Array} signature
 * @returns {Promise<string>}
 */
export async function bidSha256(tbs, signature) {
  return hex(await sha256(concatBytes(tbs, signature)));
}
