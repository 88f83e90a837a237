/** The rehearsal before an opening: proving that this browser can unwrap a key sent to the bidder's encryption key (format section 2.8). */

import { b64uDecodeExact } from "./bytes.js";
import { dataKeyInfo, unwrapWithKeyPair } from "./datakey.js";
import { InvalidSealedBidError } from "./errors.js";
import { REHEARSAL_TENDER, checkContext } from "./header.js";
import { WRAPPED_KEY_LENGTH } from "./layout.js";

/**
 * The context a rehearsal envelope is wrapped for: the reserved tender
 * "rehearsal", which no sealed bid may name.
 * @param {string} challengeId
 * @param {string} bidder
 * @returns {import("./header.js").SealContext}
 */
export function rehearsalContext(challengeId, bidder) {
  return checkContext({ tender: REHEARSAL_TENDER, lot: challengeId, bidder });
}

/**
 * Unwraps a rehearsal envelope: a random key wrapped as in section 2.2 for
 * tender "rehearsal", lot = the challenge id, bidder = the bidder id.
 * @param {string} envelopeB64u b64u of enc || ct (113 bytes)
 * @param {import("./keys.js").BidderKeys} keys
 * @param {{challengeId: string, bidder: string}} challenge
 * @returns {Promise<Uint8Array>} the 32-byte key to send back to the server
 * @throws {InvalidSealedBidError} when the envelope does not open with these keys for this challenge
 */
export async function openRehearsalEnvelope(envelopeB64u, keys, { challengeId, bidder }) {
  const info = dataKeyInfo(rehearsalContext(challengeId, bidder));
  let wrapped;
  try {
    wrapped = b64uDecodeExact(envelopeB64u, WRAPPED_KEY_LENGTH);
  } catch {
    throw new InvalidSealedBidError();
  }
  const key = await unwrapWithKeyPair(wrapped, keys.encryption, info);
  if (key === null) {
    throw new InvalidSealedBidError();
  }
  return key;
}
