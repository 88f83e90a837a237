/** The rehearsal before an opening: proving that this browser can unwrap a data key sent to the bidder's key. */

import { b64uDecodeExact } from "./bytes.js";
import { unwrapWithKeyPair } from "./datakey.js";
import { InvalidSealedBidError } from "./errors.js";
import { checkContext } from "./header.js";
import { WRAPPED_KEY_LENGTH } from "./layout.js";

export const REHEARSAL_TENDER = "rehearsal";

/**
 * Unwraps a rehearsal envelope: the same HPKE wrap as section 2.2, with
 * tender "rehearsal" and the challenge id as the lot.
 * @param {string} envelopeB64u b64u of enc || ct (113 bytes)
 * @param {import("./keys.js").BidderKeys} keys
 * @param {{challengeId: string, bidder: string}} challenge
 * @returns {Promise<Uint8Array>} the 32-byte data key
 * @throws {InvalidSealedBidError} when the envelope does not open with these keys for this challenge
 */
export async function openRehearsalEnvelope(envelopeB64u, keys, { challengeId, bidder }) {
  const context = checkContext({ tender: REHEARSAL_TENDER, lot: challengeId, bidder });
  let wrapped;
  try {
    wrapped = b64uDecodeExact(envelopeB64u, WRAPPED_KEY_LENGTH);
  } catch {
    throw new InvalidSealedBidError();
  }
  const dataKey = await unwrapWithKeyPair(wrapped, keys.encryption, context);
  if (dataKey === null) {
    throw new InvalidSealedBidError();
  }
  return dataKey;
}
