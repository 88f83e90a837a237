/** The rehearsal before an opening: proving that this browser can unwrap a key sent to the bidder's encryption key. */

import { b64uDecodeExact, concatBytes, lp, utf8 } from "./bytes.js";
import { unwrapWithKeyPair } from "./datakey.js";
import { InvalidSealedBidError } from "./errors.js";
import { WRAPPED_KEY_LENGTH } from "./layout.js";

// Its own label, unlike a bid's "bidseal/1 data-key": no rehearsal envelope
// can ever be answered with, or mistaken for, the key of a real bid, whatever
// the tender and challenge ids are.
const REHEARSAL_LABEL = utf8("bidseal/1 rehearsal");

/**
 * info = "bidseal/1 rehearsal" || lp(challenge id) || lp(bidder), ids of 1..65535 UTF-8 bytes.
 * @param {string} challengeId
 * @param {string} bidder
 * @returns {Uint8Array}
 */
export function rehearsalInfo(challengeId, bidder) {
  const parts = [REHEARSAL_LABEL];
  for (const text of [challengeId, bidder]) {
    if (typeof text !== "string") {
      throw new TypeError("the challenge id and the bidder must be strings");
    }
    if (text.length === 0) {
      throw new TypeError("the challenge id and the bidder must not be empty");
    }
    parts.push(lp(text));
  }
  return concatBytes(...parts);
}

/**
 * Unwraps a rehearsal envelope (HPKE as in section 2.2, with the rehearsal info).
 * @param {string} envelopeB64u b64u of enc || ct (113 bytes)
 * @param {import("./keys.js").BidderKeys} keys
 * @param {{challengeId: string, bidder: string}} challenge
 * @returns {Promise<Uint8Array>} the 32-byte key to send back
 * @throws {InvalidSealedBidError} when the envelope does not open with these keys for this challenge
 */
export async function openRehearsalEnvelope(envelopeB64u, keys, { challengeId, bidder }) {
  const info = rehearsalInfo(challengeId, bidder);
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
