/** Sealing a bid on the bidder's machine: a streaming writer of the sealed file (format section 2). */

import { bidSha256, bodyDigest, toBeSigned } from "./bidsignature.js";
import { concatBytes, u32 } from "./bytes.js";
import { chunkNonce, summaryNonce } from "./chunks.js";
import { deriveSubkeys, wrapDataKey } from "./datakey.js";
import { checkBidContext, encodeHeaderPrefix } from "./header.js";
import {
  DATA_KEY_LENGTH,
  DEFAULT_CHUNK_SIZE,
  FORMAT_VERSION,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  MIN_CHUNK_SIZE,
  NONCE_PREFIX_LENGTH,
  SUITE,
  chunkPlanForPlaintext,
} from "./layout.js";
import { aesGcmEncrypt, ecdsaSign, randomBytes, sha256 } from "./primitives.js";
import { OutputCollector, byteSource } from "./source.js";
import { encodeSummary } from "./summary.js";

/**
 * @typedef {object} SealParams
 * @property {Uint8Array | Blob} document the bid document (a File in the browser)
 * @property {import("./keys.js").BidderKeys} keys the bidder's own keys
 * @property {import("./header.js").SealContext} context tender, lot and bidder ids
 * @property {import("./summary.js").OpeningSummary} summary read-out items, sealed too
 * @property {number} [chunkSize] plaintext bytes per chunk, 1 MiB by default
 * @property {(doneBytes: number, totalBytes: number) => void} [onProgress] called after each chunk
 */

/**
 * @typedef {object} SealOutcome
 * @property {string} bidSha256 the bid hash that receipts refer to
 * @property {number} size bytes of the sealed file
 */

/**
 * The random inputs of a seal. Fixed only to reproduce known-answer vectors,
 * never in production; the ECDSA signature stays randomised either way
 * (WebCrypto has no deterministic ECDSA).
 * @typedef {object} SealEntropy
 * @property {() => Uint8Array} dataKey 32 bytes
 * @property {() => Uint8Array} noncePrefix 7 bytes
 * @property {(dataKey: Uint8Array, recipient: CryptoKey, context: import("./header.js").SealContext) => Promise<Uint8Array>} wrappedKey
 *   enc || ct; a vector gives the one it was made with, as HPKE's ephemeral key is random
 */

/** @type {SealEntropy} */
const SYSTEM_ENTROPY = Object.freeze({
  dataKey: () => randomBytes(DATA_KEY_LENGTH),
  noncePrefix: () => randomBytes(NONCE_PREFIX_LENGTH),
  wrappedKey: wrapDataKey,
});

/**
 * @param {SealParams} params
 */
function checkSealParams(params) {
  const { chunkSize = DEFAULT_CHUNK_SIZE, keys, onProgress } = params;
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunkSize must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`);
  }
  if (typeof keys !== "object" || keys === null || !(keys.signingPoint instanceof Uint8Array)) {
    throw new TypeError("keys must be the bidder's keys (generateKeys or importPrivateKeyFile)");
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new TypeError("onProgress must be a function");
  }
  return {
    context: checkBidContext(params.context),
    summaryPlaintext: encodeSummary(params.summary),
    source: byteSource(params.document),
    chunkSize,
  };
}

/**
 * Seals a bid, yielding the sealed file piece by piece in file order: the
 * header prefix, the summary block, each chunk, then the signature. The
 * generator's return value is the outcome. Each chunk is read, encrypted and
 * hashed with an await in between, so a page stays responsive.
 * @param {SealParams} params
 * @param {SealEntropy} [entropy] for known-answer vectors only
 * @returns {AsyncGenerator<Uint8Array, SealOutcome, void>}
 */
export async function* sealStream(params, entropy = SYSTEM_ENTROPY) {
  // Validated before anything is yielded: bad input produces no partial file.
  const { context, summaryPlaintext, source, chunkSize } = checkSealParams(params);
  const { keys, onProgress } = params;
  const plan = chunkPlanForPlaintext(source.size, chunkSize);
  if (plan.count > MAX_CHUNKS) {
    throw new RangeError("document too large for this chunk size");
  }

  const dataKey = entropy.dataKey();
  const noncePrefix = entropy.noncePrefix();
  const wrappedKey = await entropy.wrappedKey(dataKey, keys.encryption.publicKey, context);
  const headerPrefix = encodeHeaderPrefix({
    v: FORMAT_VERSION,
    suite: SUITE,
    ...context,
    chunkSize,
    noncePrefix,
    wrappedKey,
    recipientKey: keys.encryptionPoint,
    signerKey: keys.signingPoint,
  });
  const headerHash = await sha256(headerPrefix);
  const { bodyKey, summaryKey } = await deriveSubkeys(dataKey);
  dataKey.fill(0);

  const summaryCt = await aesGcmEncrypt(summaryKey, summaryNonce(), summaryPlaintext, headerHash);
  const summaryBlock = concatBytes(u32(summaryCt.length), summaryCt);
  let size = headerPrefix.length + summaryBlock.length;
  yield headerPrefix;
  yield summaryBlock;

  const chunkHashes = new Uint8Array(plan.count * 32);
  for (let i = 0; i < plan.count; i++) {
    const last = i === plan.count - 1;
    const offset = i * chunkSize;
    const plaintext = await source.read(offset, last ? plan.lastPlaintextLength : chunkSize);
    const chunk = await aesGcmEncrypt(bodyKey, chunkNonce(noncePrefix, i, last), plaintext, headerHash);
    chunkHashes.set(await sha256(chunk), i * 32);
    size += chunk.length;
    yield chunk;
    onProgress?.(offset + plaintext.length, source.size);
  }

  const tbs = await toBeSigned(headerHash, summaryBlock, await bodyDigest(chunkHashes));
  const signature = await ecdsaSign(keys.signing.privateKey, tbs);
  size += signature.length;
  yield signature;
  return { bidSha256: await bidSha256(tbs, signature), size };
}

/**
 * Seals a bid document with its opening summary for one tender, lot and bidder.
 * @param {SealParams} params
 * @returns {Promise<{parts: Uint8Array[] | Blob, bidSha256: string, size: number}>}
 *   `parts` is a Blob when the document is a Blob (a File in the browser),
 *   otherwise the file's pieces in order.
 */
export async function seal(params) {
  const output = new OutputCollector(byteSource(params.document).isBlob);
  const stream = sealStream(params);
  for (;;) {
    const step = await stream.next();
    if (step.done) {
      return { parts: output.finish(), ...step.value };
    }
    output.push(step.value);
  }
}
