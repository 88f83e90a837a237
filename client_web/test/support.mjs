// Helpers shared by the node tests: sealing to bytes, the regions of a sealed
// file, and re-signing a file after a test changed it (as a dishonest bidder,
// who holds the signing key, could).

import { bodyDigest, toBeSigned } from "../src/bidseal/bidsignature.js";
import { concatBytes, readU32 } from "../src/bidseal/bytes.js";
import { chunkPlanForStored } from "../src/bidseal/layout.js";
import { ecdsaSign, sha256 } from "../src/bidseal/primitives.js";
import { sealStream } from "../src/bidseal/seal.js";

export const CONTEXT = Object.freeze({ tender: "ZB-2026-001", lot: "标段1", bidder: "91310000MA1K" });
export const SUMMARY = Object.freeze({
  items: { price: "1234567.89", duration_days: "180" },
  document: { name: "投标文件.pdf", type: "application/pdf" },
});

/**
 * @param {number} size
 * @param {number} [seed]
 * @returns {Uint8Array} a document whose bytes depend on their position
 */
export function documentOf(size, seed = 7) {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * Runs sealStream to the end.
 * @param {import("../src/bidseal/seal.js").SealParams} params
 * @param {import("../src/bidseal/seal.js").SealEntropy} [entropy]
 * @returns {Promise<{file: Uint8Array, pieces: Uint8Array[], outcome: {bidSha256: string, size: number}}>}
 */
export async function sealToBytes(params, entropy) {
  const stream = sealStream(params, entropy);
  const pieces = [];
  for (;;) {
    const step = await stream.next();
    if (step.done) {
      return { file: concatBytes(...pieces), pieces, outcome: step.value };
    }
    pieces.push(step.value);
  }
}

/**
 * Where each part of a well-formed sealed file is.
 * @param {Uint8Array} file
 */
export function regionsOf(file) {
  const headerLength = readU32(file, 8);
  const header = JSON.parse(new TextDecoder().decode(file.subarray(12, 12 + headerLength)));
  const summaryAt = 12 + headerLength;
  const summaryLength = readU32(file, summaryAt);
  const bodyAt = summaryAt + 4 + summaryLength;
  const plan = chunkPlanForStored(file.length - bodyAt - 64, header.chunk_size);
  if (plan === null) {
    throw new Error("not a well-formed sealed file");
  }
  const stride = header.chunk_size + 16;
  const chunks = [];
  for (let i = 0; i < plan.count; i++) {
    const length = i === plan.count - 1 ? plan.lastStoredLength : stride;
    chunks.push({ offset: bodyAt + i * stride, length });
  }
  return {
    header,
    headerLength,
    summaryAt,
    summaryLength,
    bodyAt,
    chunks,
    signatureAt: file.length - 64,
  };
}

/**
 * Recomputes the bidder signature of a file whose bytes a test changed,
 * so that only the checks after the signature can catch the change.
 * @param {Uint8Array} file
 * @param {import("../src/bidseal/keys.js").BidderKeys} keys
 * @returns {Promise<Uint8Array>}
 */
export async function resign(file, keys) {
  const r = regionsOf(file);
  const chunkHashes = concatBytes(
    ...(await Promise.all(r.chunks.map((c) => sha256(file.subarray(c.offset, c.offset + c.length))))),
  );
  const tbs = await toBeSigned(
    await sha256(file.subarray(0, r.summaryAt)),
    file.subarray(r.summaryAt, r.bodyAt),
    await bodyDigest(chunkHashes),
  );
  const out = file.slice();
  out.set(await ecdsaSign(keys.signing.privateKey, tbs), r.signatureAt);
  return out;
}

/**
 * @param {Uint8Array} file
 * @param {number} offset
 * @returns {Uint8Array} a copy with one bit flipped
 */
export function flipBit(file, offset) {
  const out = file.slice();
  out[offset] ^= 0x01;
  return out;
}
