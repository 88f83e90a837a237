/** Opening a checked sealed file: unwrapping its data key with the bidder's key, then decrypting with the data key (format section 3, step 4). */

import { equalBytes } from "./bytes.js";
import { chunkNonce, summaryNonce } from "./chunks.js";
import { dataKeyInfo, deriveSubkeys, unwrapWithKeyPair } from "./datakey.js";
import { InvalidSealedBidError } from "./errors.js";
import { checkContext, sameContext } from "./header.js";
import { DATA_KEY_LENGTH } from "./layout.js";
import { aesGcmDecrypt, sha256 } from "./primitives.js";
import { SealedBid, parseSealed } from "./sealedbid.js";
import { OutputCollector } from "./source.js";
import { decodeSummary } from "./summary.js";

/**
 * @param {unknown} sealed
 * @returns {SealedBid}
 */
function checkSealed(sealed) {
  if (!(sealed instanceof SealedBid)) {
    throw new TypeError("expected a SealedBid from parseSealed()");
  }
  return sealed;
}

/**
 * Unwraps the data key of a sealed file with the bidder's encryption key.
 * The context bound in the HPKE info is the header's; pass `expected` to also
 * require that the file is for this tender, lot and bidder.
 * @param {SealedBid} sealed
 * @param {import("./keys.js").BidderKeys} keys
 * @param {import("./header.js").SealContext} [expected]
 * @returns {Promise<Uint8Array>} the 32-byte data key
 * @throws {InvalidSealedBidError} when the key or the context is not the sealed one
 */
export async function unwrapDataKey(sealed, keys, expected) {
  const bid = checkSealed(sealed);
  const wanted = expected === undefined ? undefined : checkContext(expected);
  if (wanted !== undefined && !sameContext(wanted, bid.context)) {
    throw new InvalidSealedBidError();
  }
  if (!equalBytes(keys.encryptionPoint, bid.header.recipientKey)) {
    throw new InvalidSealedBidError();
  }
  const dataKey = await unwrapWithKeyPair(
    bid.header.wrappedKey,
    keys.encryption,
    dataKeyInfo(bid.context),
  );
  if (dataKey === null) {
    throw new InvalidSealedBidError();
  }
  return dataKey;
}

/**
 * @typedef {object} OpenedBid
 * @property {import("./summary.js").OpeningSummary} summary
 * @property {Uint8Array | Blob} document a Blob when the sealed file was given as a Blob
 * @property {string} bidSha256
 */

/**
 * Decrypts the summary and every chunk in order. Nothing is returned unless
 * the whole file verified: a reader never sees a prefix of a bad document.
 * @param {SealedBid} sealed
 * @param {Uint8Array} dataKey
 * @returns {Promise<OpenedBid>}
 * @throws {InvalidSealedBidError}
 */
export async function openSealed(sealed, dataKey) {
  const bid = checkSealed(sealed);
  if (!(dataKey instanceof Uint8Array) || dataKey.length !== DATA_KEY_LENGTH) {
    throw new TypeError("the data key must be a Uint8Array of 32 bytes");
  }
  const fail = () => {
    throw new InvalidSealedBidError();
  };
  const { bodyKey, summaryKey } = await deriveSubkeys(dataKey);
  let summary;
  try {
    const plaintext = await aesGcmDecrypt(
      summaryKey,
      summaryNonce(),
      bid.summaryBlock.subarray(4),
      bid.headerHash,
    );
    summary = decodeSummary(plaintext);
  } catch {
    return fail();
  }
  if (summary === null) {
    return fail();
  }

  const { source } = bid;
  const whole = source.isBlob ? null : new Uint8Array(bid.documentSize);
  const pieces = source.isBlob ? new OutputCollector(true) : null;
  // The chunks are hashed again as they are decrypted: the source may have
  // changed since parseSealed() checked the signature over these hashes.
  const chunkHashes = new Uint8Array(bid.chunkCount * 32);
  let written = 0;
  for (let i = 0; i < bid.chunkCount; i++) {
    const where = bid.chunkAt(i);
    const chunk = await source.read(where.offset, where.length);
    chunkHashes.set(await sha256(chunk), i * 32);
    let plaintext;
    try {
      plaintext = await aesGcmDecrypt(
        bodyKey,
        chunkNonce(bid.header.noncePrefix, i, where.last),
        chunk,
        bid.headerHash,
      );
    } catch {
      return fail();
    }
    if (whole !== null) {
      whole.set(plaintext, written);
    } else {
      pieces?.push(plaintext);
    }
    written += plaintext.length;
  }
  if (!equalBytes(await sha256(chunkHashes), bid.bodyDigest)) {
    fail();
  }
  const document = whole ?? /** @type {Blob} */ (pieces?.finish());
  return { summary, document, bidSha256: bid.bidSha256 };
}

/**
 * The bidder's own check: parse, unwrap with its keys for the expected
 * context, and open, in one call.
 * @param {Uint8Array | Blob} input
 * @param {import("./keys.js").BidderKeys} keys
 * @param {import("./header.js").SealContext} [expected]
 * @returns {Promise<OpenedBid>}
 */
export async function openWithKeys(input, keys, expected) {
  const sealed = await parseSealed(input);
  const dataKey = await unwrapDataKey(sealed, keys, expected);
  try {
    return await openSealed(sealed, dataKey);
  } finally {
    dataKey.fill(0);
  }
}
