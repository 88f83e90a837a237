// Makes the JavaScript-written known-answer vectors of the sealed-bid format
// that the Python tests open (tests/crypto_js/test_js_vectors.py).
//
//   node tests/vectors/js/generate.mjs [--out DIR] [--force]
//
// WebCrypto signs with a random nonce, so the output differs on every run:
// the committed files are the vectors, and this script is how they were made.
// Regenerate only when the format changes, and commit the result.

import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { bodyDigest, toBeSigned } from "../../../client_web/src/bidseal/bidsignature.js";
import { chunkNonce } from "../../../client_web/src/bidseal/chunks.js";
import {
  b64uDecode,
  b64uEncode,
  bidderKeyId,
  exportPrivateKeyFile,
  generateKeys,
  parseSealed,
  publicBundle,
  signChallenge,
  unwrapDataKey,
} from "../../../client_web/src/bidseal/index.js";
import { concatBytes, u32 } from "../../../client_web/src/bidseal/bytes.js";
import { deriveSubkeys, wrapDataKey } from "../../../client_web/src/bidseal/datakey.js";
import { aesGcmEncrypt, ecdsaSign, randomBytes, sha256 } from "../../../client_web/src/bidseal/primitives.js";
import { rehearsalContext } from "../../../client_web/src/bidseal/rehearsal.js";
import { documentOf, flipBit, regionsOf, resign, sealToBytes } from "../../../client_web/test/support.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PASSPHRASE = "向量口令 vector passphrase";
const ITERATIONS = 1000;
const SUMMARY = {
  items: { price: "1234567.89", duration_days: "180", 质量标准: "合格" },
  document: { name: "投标文件.pdf", type: "application/pdf" },
};
const CONTEXT = { tender: "ZB-2026-0001", lot: "标段1", bidder: "北京某某建设有限公司" };
const CHUNK = 64;

const { values } = parseArgs({ options: { out: { type: "string" }, force: { type: "boolean" } } });
const outDir = path.resolve(values.out ?? HERE);
await mkdir(outDir, { recursive: true });
const existing = (await readdir(outDir)).filter((name) => name !== "generate.mjs");
if (existing.length > 0) {
  if (!values.force) {
    console.error(`${outDir} already holds vectors; pass --force to replace them`);
    process.exit(2);
  }
  for (const name of existing) {
    await rm(path.join(outDir, name), { recursive: true });
  }
}

/**
 * @param {string} name
 * @param {Uint8Array | string} data
 */
async function put(name, data) {
  await mkdir(path.dirname(path.join(outDir, name)), { recursive: true });
  await writeFile(path.join(outDir, name), data);
}

const keys = await generateKeys();
await put("keys/bidder-key.json", `${JSON.stringify(await exportPrivateKeyFile(keys, PASSPHRASE, { iterations: ITERATIONS }), null, 1)}\n`);
await put("keys/bidder-public.json", `${JSON.stringify(publicBundle(keys))}\n`);

const sealedVectors = [];
const cases = [
  ["empty", 0, CHUNK, CONTEXT],
  ["one-byte", 1, CHUNK, CONTEXT],
  ["chunk-minus-one", CHUNK - 1, CHUNK, CONTEXT],
  ["exactly-one-chunk", CHUNK, CHUNK, CONTEXT],
  ["chunk-plus-one", CHUNK + 1, CHUNK, CONTEXT],
  ["five-chunks-and-a-bit", 5 * CHUNK + 3, CHUNK, CONTEXT],
  ["astral-context", 200, 100, { tender: "𠀀".repeat(128), lot: "L/1", bidder: "B\u00e9" }],
];
for (const [name, size, chunkSize, context] of cases) {
  const document = documentOf(size, size + 1);
  const { file, outcome } = await sealToBytes({ document, keys, context, summary: SUMMARY, chunkSize });
  const dataKey = await unwrapDataKey(await parseSealed(file), keys, context);
  await put(`sealed/${name}.bidseal`, file);
  await put(`sealed/${name}.document`, document);
  sealedVectors.push({
    name,
    file: `sealed/${name}.bidseal`,
    document: `sealed/${name}.document`,
    context,
    summary: SUMMARY,
    chunk_size: chunkSize,
    size,
    file_size: file.length,
    bid_sha256: outcome.bidSha256,
    data_key: b64uEncode(dataKey),
  });
}

// Files every reader must refuse, named as in invalid-sealed-bid-v1.json where
// the case is the same. "read": no key needed to see it (structure or
// signature); "open": re-signed by the bidder, so only the data key's AEAD
// tags (or the HPKE info) catch it.
const { file: base } = await sealToBytes({
  document: documentOf(4 * CHUNK + 10, 99),
  keys,
  context: CONTEXT,
  summary: SUMMARY,
  chunkSize: CHUNK,
});
const r = regionsOf(base);
const withHeader = async (/** @type {string} */ json) => {
  const header = new TextEncoder().encode(json);
  return resign(concatBytes(base.subarray(0, 8), u32(header.length), header, base.subarray(r.summaryAt)), keys);
};
const headerJson = JSON.stringify(r.header);
// Valid in any order (the hash covers the bytes as stored), but the AEAD tags
// were made under the hash of the original bytes.
const { v, suite, ...restOfHeader } = r.header;
const reordered = { ...restOfHeader, suite, v };
const [c0, c1] = r.chunks;
const swapped = base.slice();
swapped.set(base.subarray(c1.offset, c1.offset + c1.length), c0.offset);
swapped.set(base.subarray(c0.offset, c0.offset + c0.length), c1.offset);
const last = r.chunks.at(-1);
const relabelled = await sealToBytes(
  { document: documentOf(5), keys, context: { ...CONTEXT, lot: "标段2" }, summary: SUMMARY, chunkSize: CHUNK },
  {
    dataKey: () => randomBytes(32),
    noncePrefix: () => randomBytes(7),
    wrappedKey: (dataKey, recipient) => wrapDataKey(dataKey, recipient, CONTEXT),
  },
);
// The other encoding of a whole-chunk document (section 2.5): its chunks with
// last flag 0, then an empty chunk with last flag 1, every tag valid, signed.
const wholeKey = randomBytes(32);
const wholeDocument = documentOf(2 * CHUNK, 5);
const { file: whole } = await sealToBytes(
  { document: wholeDocument, keys, context: CONTEXT, summary: SUMMARY, chunkSize: CHUNK },
  { dataKey: () => wholeKey.slice(), noncePrefix: () => randomBytes(7), wrappedKey: wrapDataKey },
);
const w = regionsOf(whole);
const wholeHead = whole.subarray(0, w.summaryAt);
const wholeHash = await sha256(wholeHead);
const { bodyKey } = await deriveSubkeys(wholeKey);
const plaintexts = [wholeDocument.subarray(0, CHUNK), wholeDocument.subarray(CHUNK), new Uint8Array(0)];
const emptyLast = [];
for (const [i, plain] of plaintexts.entries()) {
  const nonce = chunkNonce(b64uDecode(w.header.nonce_prefix), i, i === plaintexts.length - 1);
  emptyLast.push(await aesGcmEncrypt(bodyKey, nonce, plain, wholeHash));
}
const emptyLastTbs = await toBeSigned(
  wholeHash,
  whole.subarray(w.summaryAt, w.bodyAt),
  await bodyDigest(concatBytes(...(await Promise.all(emptyLast.map((c) => sha256(c)))))),
);
const emptyLastFile = concatBytes(
  whole.subarray(0, w.bodyAt),
  ...emptyLast,
  await ecdsaSign(keys.signing.privateKey, emptyLastTbs),
);
const encOffCurve = b64uDecode(r.header.wrapped_key);
encOffCurve[64] ^= 1; // the last byte of Y
const invalid = {
  "flipped-magic": ["read", flipBit(base, 0)],
  "flipped-header": ["read", flipBit(base, 40)],
  "flipped-summary": ["read", flipBit(base, r.summaryAt + 10)],
  "flipped-chunk": ["read", flipBit(base, c1.offset + 3)],
  "flipped-signature": ["read", flipBit(base, r.signatureAt + 5)],
  "truncated-by-one": ["read", base.subarray(0, base.length - 1)],
  "byte-appended": ["read", concatBytes(base, new Uint8Array([0]))],
  "resigned-header-duplicate-member": ["read", await withHeader(headerJson.replace('"v":1,', '"v":1,"v":1,'))],
  "resigned-header-float-version": ["read", await withHeader(headerJson.replace('"v":1,', '"v":1.0,'))],
  "resigned-header-extra-member": ["read", await withHeader(headerJson.replace("}", ',"x":"y"}'))],
  "resigned-header-rehearsal-tender": ["read", await withHeader(JSON.stringify({ ...r.header, tender: "rehearsal" }))],
  "resigned-header-padded-b64u": ["read", await withHeader(headerJson.replace(`"${r.header.nonce_prefix}"`, `"${r.header.nonce_prefix}="`))],
  "resigned-header-enc-off-curve": ["read", await withHeader(JSON.stringify({ ...r.header, wrapped_key: b64uEncode(encOffCurve) }))],
  "resigned-empty-last-chunk": ["read", emptyLastFile],
  "resigned-header-reordered": ["open", await withHeader(JSON.stringify(reordered))],
  "resigned-flipped-summary": ["open", await resign(flipBit(base, r.summaryAt + 10), keys)],
  "resigned-flipped-chunk": ["open", await resign(flipBit(base, c1.offset + 3), keys)],
  "resigned-chunks-swapped": ["open", await resign(swapped, keys)],
  "resigned-last-chunk-dropped": ["open", await resign(concatBytes(base.subarray(0, last.offset), base.subarray(r.signatureAt)), keys)],
  "resigned-wrapped-for-another-lot": ["open", relabelled.file],
};
const invalidVectors = [];
for (const [name, [failsAt, file]] of Object.entries(invalid)) {
  await put(`invalid/${name}.bidseal`, file);
  invalidVectors.push({ name, file: `invalid/${name}.bidseal`, fails_at: failsAt });
}

const challenges = [];
for (const [challenge, audience] of [
  ["q8J0-challenge", "https://kaibiao.example"],
  ["挑战", "http://127.0.0.1:8080"],
]) {
  challenges.push({ challenge, audience, signature: await signChallenge(keys, challenge, audience) });
}

const rehearsalKey = randomBytes(32);
const rehearsal = {
  challenge_id: "challenge-7",
  bidder: CONTEXT.bidder,
  envelope: b64uEncode(
    await wrapDataKey(rehearsalKey, keys.encryption.publicKey, rehearsalContext("challenge-7", CONTEXT.bidder)),
  ),
  key: b64uEncode(rehearsalKey),
};

const manifest = {
  format: "bidseal-test-vectors/1",
  description:
    "Made by the JavaScript implementation; random, so made once and committed. Files are raw bytes." +
    " fails_at=read: refused without any key. fails_at=open: structure and signature are valid (the" +
    " bidder re-signed the change), and unwrapping with the key folder for the header's own context," +
    " or opening with the unwrapped key, must fail.",
  made_by: "client_web/src/bidseal (JavaScript, WebCrypto, @hpke/core) via tests/vectors/js/generate.mjs",
  keys: {
    dir: "keys",
    passphrase: PASSPHRASE,
    iterations: ITERATIONS,
    bidder_key_id: await bidderKeyId(keys),
  },
  sealed: sealedVectors,
  invalid: invalidVectors,
  challenges,
  rehearsal,
};
await put("manifest.json", `${JSON.stringify(manifest, null, 1)}\n`);
console.log(`wrote ${sealedVectors.length} sealed, ${invalidVectors.length} invalid vectors to ${outDir}`);
