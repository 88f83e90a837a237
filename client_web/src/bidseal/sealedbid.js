/** A sealed file whose structure and bidder signature have been checked, and the reader that checks them (format section 3, steps 1-3). */

import { bidSha256, bodyDigest, toBeSigned } from "./bidsignature.js";
import { equalBytes, readU32 } from "./bytes.js";
import { InvalidSealedBidError } from "./errors.js";
import { decodeHeader } from "./header.js";
import { keyId } from "./keys.js";
import {
  FORMAT_VERSION,
  MAGIC,
  MAX_HEADER_LENGTH,
  MAX_SUMMARY_LENGTH,
  MIN_HEADER_LENGTH,
  MIN_SUMMARY_LENGTH,
  PREFIX_LENGTH,
  chunkPlanForStored,
} from "./layout.js";
import { POINT_LENGTH, SIGNATURE_LENGTH, ecdsaVerify, importPublicPoint, sha256 } from "./primitives.js";
import { byteSource } from "./source.js";

/**
 * The checked structure of a sealed file. No key was needed to make it; it
 * proves who sealed the file and that the file is whole, not what it says.
 */
export class SealedBid {
  /**
   * @param {object} fields
   * @param {import("./header.js").SealedHeader} fields.header
   * @param {Uint8Array} fields.headerHash
   * @param {Uint8Array} fields.summaryBlock u32(summary_len) || summary_ct
   * @param {number} fields.bodyOffset
   * @param {number} fields.chunkCount
   * @param {number} fields.lastStoredLength
   * @param {Uint8Array} fields.bodyDigest
   * @param {Uint8Array} fields.signature
   * @param {string} fields.bidSha256
   * @param {string} fields.signerKeyId
   * @param {string} fields.recipientKeyId
   * @param {import("./source.js").ByteSource} fields.source
   */
  constructor(fields) {
    this.header = fields.header;
    /** @type {import("./header.js").SealContext} */
    this.context = Object.freeze({
      tender: fields.header.tender,
      lot: fields.header.lot,
      bidder: fields.header.bidder,
    });
    this.headerHash = fields.headerHash;
    this.summaryBlock = fields.summaryBlock;
    this.bodyOffset = fields.bodyOffset;
    this.chunkCount = fields.chunkCount;
    this.lastStoredLength = fields.lastStoredLength;
    this.bodyDigest = fields.bodyDigest;
    this.signature = fields.signature;
    this.bidSha256 = fields.bidSha256;
    /** The bidder key id of the sealer (key id of signer_key). */
    this.signerKeyId = fields.signerKeyId;
    this.recipientKeyId = fields.recipientKeyId;
    this.source = fields.source;
    this.size = fields.source.size;
    /** Plaintext bytes of the sealed document. */
    this.documentSize = this.size - this.bodyOffset - SIGNATURE_LENGTH - 16 * this.chunkCount;
    Object.freeze(this);
  }

  /**
   * Where chunk `index` is stored.
   * @param {number} index
   * @returns {{offset: number, length: number, last: boolean}}
   */
  chunkAt(index) {
    const stride = this.header.chunkSize + 16;
    const last = index === this.chunkCount - 1;
    return {
      offset: this.bodyOffset + index * stride,
      length: last ? this.lastStoredLength : stride,
      last,
    };
  }
}

/**
 * Checks a sealed file's structure and its bidder signature.
 * @param {Uint8Array | ArrayBuffer | Blob} input
 * @returns {Promise<SealedBid>}
 * @throws {InvalidSealedBidError} whatever check fails
 */
export async function parseSealed(input) {
  const source = byteSource(input);
  const fail = () => {
    throw new InvalidSealedBidError();
  };
  const minimum = PREFIX_LENGTH + MIN_HEADER_LENGTH + 4 + MIN_SUMMARY_LENGTH + 16 + SIGNATURE_LENGTH;
  if (source.size < minimum) {
    fail();
  }

  // Step 1: magic, version, header.
  const prefix = (await source.read(0, PREFIX_LENGTH)).slice();
  if (!equalBytes(prefix.subarray(0, MAGIC.length), MAGIC) || prefix[7] !== FORMAT_VERSION) {
    fail();
  }
  const headerLength = readU32(prefix, 8);
  if (headerLength < MIN_HEADER_LENGTH || headerLength > MAX_HEADER_LENGTH) {
    fail();
  }
  const summaryAt = PREFIX_LENGTH + headerLength;
  if (source.size < summaryAt + 4 + MIN_SUMMARY_LENGTH + 16 + SIGNATURE_LENGTH) {
    fail();
  }
  const headerPrefix = (await source.read(0, summaryAt)).slice();
  const header = decodeHeader(headerPrefix.subarray(PREFIX_LENGTH));
  if (header === null) {
    return fail();
  }
  let signerKey;
  try {
    signerKey = await importPublicPoint(header.signerKey, "ecdsa");
    await importPublicPoint(header.recipientKey, "ecdh");
    // The HPKE enc too: a file no key could ever open is refused without a key.
    await importPublicPoint(header.wrappedKey.subarray(0, POINT_LENGTH), "ecdh");
  } catch {
    return fail();
  }

  // Step 2: summary length and chunk boundaries.
  const summaryLength = readU32(await source.read(summaryAt, 4), 0);
  if (summaryLength < MIN_SUMMARY_LENGTH || summaryLength > MAX_SUMMARY_LENGTH) {
    fail();
  }
  const bodyOffset = summaryAt + 4 + summaryLength;
  const plan = chunkPlanForStored(source.size - bodyOffset - SIGNATURE_LENGTH, header.chunkSize);
  if (plan === null) {
    return fail();
  }

  // Step 3: the signature over tbs, hashing each chunk as it is read.
  const summaryBlock = (await source.read(summaryAt, 4 + summaryLength)).slice();
  const sealed = {
    header,
    headerHash: await sha256(headerPrefix),
    summaryBlock,
    bodyOffset,
    chunkCount: plan.count,
    lastStoredLength: plan.lastStoredLength,
  };
  const chunkHashes = new Uint8Array(plan.count * 32);
  const stride = header.chunkSize + 16;
  for (let i = 0; i < plan.count; i++) {
    const length = i === plan.count - 1 ? plan.lastStoredLength : stride;
    chunkHashes.set(await sha256(await source.read(bodyOffset + i * stride, length)), i * 32);
  }
  const digest = await bodyDigest(chunkHashes);
  const signature = (await source.read(source.size - SIGNATURE_LENGTH, SIGNATURE_LENGTH)).slice();
  const tbs = await toBeSigned(sealed.headerHash, summaryBlock, digest);
  if (!(await ecdsaVerify(signerKey, signature, tbs))) {
    fail();
  }
  return new SealedBid({
    ...sealed,
    bodyDigest: digest,
    signature,
    bidSha256: await bidSha256(tbs, signature),
    signerKeyId: await keyId(header.signerKey),
    recipientKeyId: await keyId(header.recipientKey),
    source,
  });
}
