import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import {
  InvalidSealedBidError,
  generateKeys,
  openSealed,
  openWithKeys,
  parseSealed,
  unwrapDataKey,
} from "../src/bidseal/index.js";
import { concatBytes, readU32, u32 } from "../src/bidseal/bytes.js";
import { summaryNonce } from "../src/bidseal/chunks.js";
import { deriveSubkeys, wrapDataKey } from "../src/bidseal/datakey.js";
import { aesGcmEncrypt, randomBytes, sha256 } from "../src/bidseal/primitives.js";
import { CONTEXT, SUMMARY, documentOf, flipBit, regionsOf, resign, sealToBytes } from "./support.mjs";

const CHUNK = 64;

/**
 * @param {Promise<unknown>} attempt
 */
async function assertInvalid(attempt) {
  await assert.rejects(attempt, (error) => {
    assert.ok(error instanceof InvalidSealedBidError);
    // One message for every failure: nothing tells which check failed.
    assert.equal(error.message, "invalid sealed bid");
    return true;
  });
}

describe("every damaged or foreign file is the one opaque error", () => {
  /** @type {import("../src/bidseal/keys.js").BidderKeys} */
  let keys;
  /** @type {Uint8Array} */
  let file;
  let regions;

  before(async () => {
    keys = await generateKeys();
    ({ file } = await sealToBytes({
      document: documentOf(4 * CHUNK + 10),
      keys,
      context: CONTEXT,
      summary: SUMMARY,
      chunkSize: CHUNK,
    }));
    regions = regionsOf(file);
  });

  test("the untouched file opens (the baseline of this suite)", async () => {
    const opened = await openWithKeys(file, keys, CONTEXT);
    assert.deepEqual(opened.document, documentOf(4 * CHUNK + 10));
  });

  test("re-signing an unchanged file keeps it valid (the baseline of the re-signed cases)", async () => {
    const opened = await openWithKeys(await resign(file, keys), keys, CONTEXT);
    assert.deepEqual(opened.summary, SUMMARY);
  });

  test("another bidder's keys", async () => {
    const other = await generateKeys();
    const sealed = await parseSealed(file);
    await assertInvalid(unwrapDataKey(sealed, other));
  });

  test("a right key pair under another encryption point in the header is refused", async () => {
    // Same encryption point check as the server's: a file for another key never unwraps.
    const other = await generateKeys();
    const { file: foreign } = await sealToBytes({
      document: documentOf(5),
      keys: other,
      context: CONTEXT,
      summary: SUMMARY,
    });
    await assertInvalid(openWithKeys(foreign, keys));
  });

  test("an expected context other than the sealed one", async () => {
    const sealed = await parseSealed(file);
    for (const member of ["tender", "lot", "bidder"]) {
      await assertInvalid(unwrapDataKey(sealed, keys, { ...CONTEXT, [member]: "other" }));
    }
  });

  test("a header naming another context than the data key was wrapped for", async () => {
    // Signed by the bidder itself, so only the HPKE info can catch it.
    const { file: relabelled } = await sealToBytes(
      { document: documentOf(5), keys, context: { ...CONTEXT, lot: "标段2" }, summary: SUMMARY },
      {
        dataKey: () => randomBytes(32),
        noncePrefix: () => randomBytes(7),
        wrappedKey: (dataKey, recipient) => wrapDataKey(dataKey, recipient, CONTEXT),
      },
    );
    const sealed = await parseSealed(relabelled);
    await assertInvalid(unwrapDataKey(sealed, keys));
  });

  test("a wrong data key", async () => {
    const sealed = await parseSealed(file);
    await assertInvalid(openSealed(sealed, randomBytes(32)));
  });

  describe("one flipped bit in each region", () => {
    const offsets = {
      magic: () => 0,
      version: () => 7,
      "header length": () => 11,
      header: () => 12 + Math.floor(regions.headerLength / 2),
      "summary length": () => regions.summaryAt + 3,
      "summary ciphertext": () => regions.summaryAt + 4,
      "summary tag": () => regions.bodyAt - 1,
      "first chunk": () => regions.chunks[0].offset,
      "middle chunk": () => regions.chunks[2].offset + 20,
      "last chunk tag": () => regions.signatureAt - 1,
      "signature r": () => regions.signatureAt,
      "signature s": () => file.length - 1,
    };
    for (const [name, offset] of Object.entries(offsets)) {
      test(`${name}, as stored`, async () => {
        await assertInvalid(openWithKeys(flipBit(file, offset()), keys));
      });
    }
    // Re-signed by the bidder: the data key's AEAD tags must catch what the
    // signature no longer does.
    for (const name of ["summary ciphertext", "summary tag", "first chunk", "middle chunk", "last chunk tag"]) {
      test(`${name}, re-signed by the bidder`, async () => {
        const changed = await resign(flipBit(file, offsets[name]()), keys);
        const sealed = await parseSealed(changed);
        await assertInvalid(openSealed(sealed, await unwrapDataKey(sealed, keys)));
      });
    }
  });

  test("truncation at every region boundary", async () => {
    const cuts = [0, 5, 12, regions.summaryAt, regions.bodyAt, regions.chunks[1].offset, file.length - 64, file.length - 1];
    for (const cut of cuts) {
      await assertInvalid(openWithKeys(file.subarray(0, cut), keys));
    }
  });

  test("bytes appended after the signature", async () => {
    await assertInvalid(openWithKeys(concatBytes(file, new Uint8Array([0])), keys));
    await assertInvalid(openWithKeys(concatBytes(file, file.subarray(file.length - 64)), keys));
  });

  test("two chunks swapped, re-signed", async () => {
    const [a, b] = regions.chunks;
    const swapped = file.slice();
    swapped.set(file.subarray(b.offset, b.offset + b.length), a.offset);
    swapped.set(file.subarray(a.offset, a.offset + a.length), b.offset);
    const changed = await resign(swapped, keys);
    const sealed = await parseSealed(changed);
    await assertInvalid(openSealed(sealed, await unwrapDataKey(sealed, keys)));
  });

  test("the last chunk dropped, re-signed: the new last chunk has no last flag", async () => {
    const last = regions.chunks.at(-1);
    const dropped = concatBytes(file.subarray(0, last.offset), file.subarray(regions.signatureAt));
    const changed = await resign(dropped, keys);
    const sealed = await parseSealed(changed);
    await assertInvalid(openSealed(sealed, await unwrapDataKey(sealed, keys)));
  });

  test("a chunk appended after the last one, re-signed", async () => {
    const extra = file.subarray(regions.chunks[0].offset, regions.chunks[0].offset + CHUNK + 16);
    const grown = concatBytes(file.subarray(0, regions.signatureAt), extra, file.subarray(regions.signatureAt));
    const changed = await resign(grown, keys);
    const sealed = await parseSealed(changed);
    await assertInvalid(openSealed(sealed, await unwrapDataKey(sealed, keys)));
  });

  test("a body shorter than one tag", async () => {
    const body = regions.bodyAt;
    const short = concatBytes(file.subarray(0, body), new Uint8Array(15), file.subarray(regions.signatureAt));
    await assertInvalid(parseSealed(short));
  });

  test("summary lengths outside 16..65552", async () => {
    for (const length of [15, 65_553]) {
      const changed = file.slice();
      changed.set(u32(length), regions.summaryAt);
      await assertInvalid(parseSealed(changed));
    }
    assert.equal(readU32(file, regions.summaryAt), regions.summaryLength);
  });

  /**
   * The file with its header JSON replaced, re-signed by the bidder.
   * @param {string} json
   */
  async function withHeader(json) {
    const header = new TextEncoder().encode(json);
    const changed = concatBytes(file.subarray(0, 8), u32(header.length), header, file.subarray(regions.summaryAt));
    return resign(changed, keys);
  }

  test("a header in another order or spacing is read (the hash covers the bytes as stored)", async () => {
    const { suite, ...rest } = regions.header;
    for (const json of [JSON.stringify(regions.header, null, 1), JSON.stringify({ ...rest, suite })]) {
      const sealed = await parseSealed(await withHeader(json));
      assert.deepEqual({ ...sealed.context }, { ...CONTEXT });
      // The data key was wrapped for the same context, so it still unwraps;
      // the AEAD tags bind the old header hash, so opening fails.
      await assertInvalid(openSealed(sealed, await unwrapDataKey(sealed, keys)));
    }
  });

  test("a header with a duplicate, a float, an extra or missing member, a BOM, a lone surrogate or non-canonical b64u", async () => {
    const json = JSON.stringify(regions.header);
    const { signer_key: _, ...missing } = regions.header;
    const spellings = [
      json.replace('"v":1,', '"v":1,"v":1,'),
      json.replace('"v":1,', '"v":1.0,'),
      json.replace('"v":1,', '"v":1e0,'),
      json.replace(`"chunk_size":${CHUNK}`, `"chunk_size":${CHUNK}.0`),
      json.replace("}", ',"extra":"x"}'),
      JSON.stringify(missing),
      `\ufeff${json}`,
      json.replace(`"bidder":"${CONTEXT.bidder}"`, '"bidder":"\\ud800"'),
      json.replace(`"nonce_prefix":"${regions.header.nonce_prefix}"`, `"nonce_prefix":"${regions.header.nonce_prefix}="`),
      JSON.stringify({ ...regions.header, tender: "rehearsal" }),
      JSON.stringify({ ...regions.header, v: 2 }),
      JSON.stringify({ ...regions.header, chunk_size: 63 }),
    ];
    for (const spelling of spellings) {
      assert.notEqual(spelling, json);
      await assertInvalid(parseSealed(await withHeader(spelling)));
    }
  });

  test("a summary that breaks section 2.4, properly encrypted and signed", async () => {
    const sealed = await parseSealed(file);
    const dataKey = await unwrapDataKey(sealed, keys);
    const { summaryKey } = await deriveSubkeys(dataKey);
    const headerHash = await sha256(file.subarray(0, regions.summaryAt));
    const withSummary = async (/** @type {string} */ text) => {
      const ct = await aesGcmEncrypt(summaryKey, summaryNonce(), new TextEncoder().encode(text), headerHash);
      const changed = concatBytes(
        file.subarray(0, regions.summaryAt),
        u32(ct.length),
        ct,
        file.subarray(regions.bodyAt),
      );
      return parseSealed(await resign(changed, keys));
    };
    // The baseline: a well-formed summary in this construction opens.
    const good = await openSealed(await withSummary('{"items":{"price":"1"}}'), dataKey);
    assert.deepEqual(good.summary, { items: { price: "1" } });
    for (const text of [
      '{"items":{"price":"1","price":"2"}}',
      '{"items":{"price":"1"},"document":{"name":"a","name":"b"}}',
      '{"items":{"price":1}}',
      '{"items":["1"]}',
      '{"document":{}}',
      '{"items":{"price":"\\ud800"}}',
      '{"items":{},"note":"\\udc00"}',
      "[]",
      "not json",
    ]) {
      await assertInvalid(openSealed(await withSummary(text), dataKey));
    }
  });

  test("a Blob input fails the same way", async () => {
    await assertInvalid(openWithKeys(new Blob([flipBit(file, regions.chunks[1].offset)]), keys));
  });
});
