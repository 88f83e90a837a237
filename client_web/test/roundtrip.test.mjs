import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import {
  generateKeys,
  keyId,
  openSealed,
  openWithKeys,
  parseSealed,
  seal,
  sealStream,
  unwrapDataKey,
} from "../src/bidseal/index.js";
import { CONTEXT, SUMMARY, documentOf, sealToBytes } from "./support.mjs";

const CHUNK = 64;
const SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 7, 6 * CHUNK];

describe("seal and open round trips", () => {
  /** @type {import("../src/bidseal/keys.js").BidderKeys} */
  let keys;
  before(async () => {
    keys = await generateKeys();
  });

  for (const size of SIZES) {
    test(`a ${size}-byte document as bytes`, async () => {
      const document = documentOf(size);
      const progress = [];
      const { file, outcome } = await sealToBytes({
        document,
        keys,
        context: CONTEXT,
        summary: SUMMARY,
        chunkSize: CHUNK,
        onProgress: (done, total) => progress.push([done, total]),
      });
      assert.equal(outcome.size, file.length);
      assert.deepEqual(progress.at(-1), [size, size]);

      const sealed = await parseSealed(file);
      assert.deepEqual({ ...sealed.context }, { ...CONTEXT });
      assert.equal(sealed.chunkCount, Math.max(1, Math.ceil(size / CHUNK)));
      assert.equal(sealed.documentSize, size);
      assert.equal(sealed.bidSha256, outcome.bidSha256);
      assert.equal(sealed.signerKeyId, await keyId(keys.signingPoint));
      assert.equal(sealed.recipientKeyId, await keyId(keys.encryptionPoint));

      const dataKey = await unwrapDataKey(sealed, keys, CONTEXT);
      const opened = await openSealed(sealed, dataKey);
      assert.deepEqual(opened.summary, SUMMARY);
      assert.deepEqual(opened.document, document);
      assert.equal(opened.bidSha256, outcome.bidSha256);
    });
  }

  test("a Blob document seals to a Blob that opens to a Blob", async () => {
    const document = documentOf(3 * CHUNK + 5);
    const result = await seal({
      document: new Blob([document]),
      keys,
      context: CONTEXT,
      summary: SUMMARY,
      chunkSize: CHUNK,
    });
    assert.ok(result.parts instanceof Blob);
    assert.equal(result.parts.size, result.size);
    const opened = await openWithKeys(result.parts, keys, CONTEXT);
    assert.ok(opened.document instanceof Blob);
    assert.deepEqual(new Uint8Array(await opened.document.arrayBuffer()), document);
    assert.equal(opened.bidSha256, result.bidSha256);
  });

  test("bytes in, parts out; the default chunk size is 1 MiB", async () => {
    const document = documentOf(1024 * 1024 + 1);
    const result = await seal({ document, keys, context: CONTEXT, summary: SUMMARY });
    assert.ok(Array.isArray(result.parts));
    const file = new Uint8Array(await new Blob(result.parts).arrayBuffer());
    const sealed = await parseSealed(file);
    assert.equal(sealed.header.chunkSize, 1024 * 1024);
    assert.equal(sealed.chunkCount, 2);
    const opened = await openWithKeys(file, keys);
    assert.deepEqual(opened.document, document);
  });

  test("the header is the canonical JSON of section 2.1", async () => {
    const { file } = await sealToBytes({
      document: documentOf(10),
      keys,
      context: CONTEXT,
      summary: SUMMARY,
      chunkSize: CHUNK,
    });
    assert.deepEqual(file.subarray(0, 8), new TextEncoder().encode("BIDSEAL\x01"));
    const length = new DataView(file.buffer).getUint32(8);
    const text = new TextDecoder().decode(file.subarray(12, 12 + length));
    assert.deepEqual(Object.keys(JSON.parse(text)), [
      "v",
      "suite",
      "tender",
      "lot",
      "bidder",
      "chunk_size",
      "nonce_prefix",
      "wrapped_key",
      "recipient_key",
      "signer_key",
    ]);
    assert.equal(JSON.stringify(JSON.parse(text)), text);
  });

  test("two seals of one document differ and have different bid hashes", async () => {
    const params = { document: documentOf(100), keys, context: CONTEXT, summary: SUMMARY };
    const a = await sealToBytes(params);
    const b = await sealToBytes(params);
    assert.notDeepEqual(a.file, b.file);
    assert.notEqual(a.outcome.bidSha256, b.outcome.bidSha256);
  });
});

describe("bad seal input is refused before anything is produced", () => {
  /** @type {import("../src/bidseal/keys.js").BidderKeys} */
  let keys;
  before(async () => {
    keys = await generateKeys();
  });

  const cases = [
    ["an empty tender", { context: { ...CONTEXT, tender: "" } }, TypeError],
    ["the reserved tender rehearsal", { context: { ...CONTEXT, tender: "rehearsal" } }, TypeError],
    ["a 129-character lot", { context: { ...CONTEXT, lot: "x".repeat(129) } }, TypeError],
    ["a lone surrogate in the bidder", { context: { ...CONTEXT, bidder: "a\ud800" } }, TypeError],
    ["a numeric price", { summary: { items: { price: 12.5 } } }, TypeError],
    ["no items", { summary: { document: {} } }, TypeError],
    ["an oversized summary", { summary: { items: { note: "x".repeat(65_537) } } }, RangeError],
    ["a chunk size of 63", { chunkSize: 63 }, RangeError],
    ["a chunk size of 2^24 + 1", { chunkSize: 16_777_217 }, RangeError],
    ["a string document", { document: "text" }, TypeError],
  ];
  for (const [name, change, error] of cases) {
    test(name, async () => {
      const stream = sealStream({
        document: documentOf(10),
        keys,
        context: CONTEXT,
        summary: SUMMARY,
        ...change,
      });
      await assert.rejects(stream.next(), error);
    });
  }

  test("a 128-character context with astral characters is accepted", async () => {
    const context = { ...CONTEXT, lot: "𠀀".repeat(128) };
    const { file } = await sealToBytes({ document: documentOf(1), keys, context, summary: SUMMARY });
    const opened = await openWithKeys(file, keys, context);
    assert.deepEqual(opened.summary, SUMMARY);
  });
});
