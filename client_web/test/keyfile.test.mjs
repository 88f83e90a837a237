import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import {
  KeyFileError,
  b64uDecode,
  b64uEncode,
  exportPrivateKeyFile,
  generateKeys,
  importPrivateKeyFile,
  openWithKeys,
  publicBundle,
  readPublicBundle,
} from "../src/bidseal/index.js";
import { CONTEXT, SUMMARY, documentOf, sealToBytes } from "./support.mjs";

const FAST = { iterations: 1000 };

/**
 * @param {Promise<unknown>} attempt
 */
async function assertRefused(attempt) {
  await assert.rejects(attempt, (error) => {
    assert.ok(error instanceof KeyFileError);
    assert.equal(error.message, "wrong passphrase or damaged key file");
    return true;
  });
}

describe("private key file", () => {
  /** @type {import("../src/bidseal/keys.js").BidderKeys} */
  let keys;
  /** @type {import("../src/bidseal/keyfile.js").PrivateKeyFile} */
  let file;

  before(async () => {
    keys = await generateKeys();
    file = await exportPrivateKeyFile(keys, "正确的口令 correct horse", FAST);
  });

  test("has the members of section 1.2", () => {
    assert.equal(file.format, "bidseal-private-key/1");
    assert.deepEqual(Object.keys(file.kdf), ["name", "iterations", "salt"]);
    assert.equal(file.kdf.name, "PBKDF2-SHA256");
    assert.equal(file.kdf.iterations, 1000);
    assert.equal(b64uDecode(file.kdf.salt).length, 16);
    assert.equal(file.cipher.name, "AES-256-GCM");
    assert.equal(b64uDecode(file.cipher.nonce).length, 12);
    assert.equal(b64uDecode(file.ciphertext).length, 80);
    assert.equal(file.encryption_key, publicBundle(keys).encryption_key);
    assert.equal(file.signing_key, publicBundle(keys).signing_key);
  });

  test("the default is 600,000 iterations", async () => {
    const slow = await exportPrivateKeyFile(keys, "pass");
    assert.equal(slow.kdf.iterations, 600_000);
  });

  test("read back (object or text), the keys open what the original keys sealed", async () => {
    const { file: sealed } = await sealToBytes({
      document: documentOf(300),
      keys,
      context: CONTEXT,
      summary: SUMMARY,
      chunkSize: 64,
    });
    for (const form of [file, JSON.stringify(file, null, 1)]) {
      const restored = await importPrivateKeyFile(form, "正确的口令 correct horse");
      assert.deepEqual(restored.encryptionPoint, keys.encryptionPoint);
      assert.deepEqual(restored.signingPoint, keys.signingPoint);
      const opened = await openWithKeys(sealed, restored, CONTEXT);
      assert.deepEqual(opened.document, documentOf(300));
      // And the restored signing key seals files the original keys open.
      const { file: again } = await sealToBytes({ document: documentOf(3), keys: restored, context: CONTEXT, summary: SUMMARY });
      assert.deepEqual((await openWithKeys(again, keys)).document, documentOf(3));
    }
  });

  test("the passphrase is NFC-normalised", async () => {
    const composed = await exportPrivateKeyFile(keys, "caf\u00e9", FAST);
    const restored = await importPrivateKeyFile(composed, "cafe\u0301");
    assert.deepEqual(restored.signingPoint, keys.signingPoint);
  });

  test("a wrong passphrase", async () => {
    await assertRefused(importPrivateKeyFile(file, "正确的口令 correct horsE"));
    await assertRefused(importPrivateKeyFile(file, ""));
  });

  const damage = {
    "another format": (f) => ({ ...f, format: "bidseal-private-key/2" }),
    "another kdf": (f) => ({ ...f, kdf: { ...f.kdf, name: "PBKDF2-SHA1" } }),
    "999 iterations": (f) => ({ ...f, kdf: { ...f.kdf, iterations: 999 } }),
    "10,000,001 iterations": (f) => ({ ...f, kdf: { ...f.kdf, iterations: 10_000_001 } }),
    "iterations as text": (f) => ({ ...f, kdf: { ...f.kdf, iterations: "1000" } }),
    "another iteration count": (f) => ({ ...f, kdf: { ...f.kdf, iterations: 1001 } }),
    "a short salt": (f) => ({ ...f, kdf: { ...f.kdf, salt: b64uEncode(new Uint8Array(15)) } }),
    "a padded nonce": (f) => ({ ...f, cipher: { ...f.cipher, nonce: `${f.cipher.nonce}=` } }),
    "a flipped ciphertext bit": (f) => {
      const ct = b64uDecode(f.ciphertext);
      ct[5] ^= 1;
      return { ...f, ciphertext: b64uEncode(ct) };
    },
    "the public points swapped": (f) => ({ ...f, encryption_key: f.signing_key, signing_key: f.encryption_key }),
    "a missing member": (f) => {
      const { cipher, ...rest } = f;
      return rest;
    },
    "not JSON": () => "{not json",
    "null": () => null,
  };
  for (const [name, change] of Object.entries(damage)) {
    test(`damaged: ${name}`, async () => {
      await assertRefused(importPrivateKeyFile(change(file), "正确的口令 correct horse"));
    });
  }

  test("scalars that do not give the file's points, well encrypted, are refused", async () => {
    const other = await generateKeys();
    const mismatched = { ...keys, encryption: other.encryption, signing: other.signing };
    const crafted = await exportPrivateKeyFile(mismatched, "p", FAST);
    await assertRefused(importPrivateKeyFile(crafted, "p"));
    // Only one of the two scalars wrong is refused as well.
    const halfWrong = { ...keys, encryption: other.encryption };
    await assertRefused(importPrivateKeyFile(await exportPrivateKeyFile(halfWrong, "p", FAST), "p"));
  });

  test("the file is not modified by a failed read", async () => {
    const before = JSON.stringify(file);
    await assertRefused(importPrivateKeyFile(file, "wrong"));
    assert.equal(JSON.stringify(file), before);
  });

  test("a writer refuses an empty passphrase and iterations out of range", async () => {
    await assert.rejects(exportPrivateKeyFile(keys, ""), TypeError);
    await assert.rejects(exportPrivateKeyFile(keys, "p", { iterations: 999 }), RangeError);
    await assert.rejects(exportPrivateKeyFile(keys, "p", { iterations: 1.5e3 + 0.5 }), RangeError);
  });
});

describe("public key bundle", () => {
  test("round trip, extra members ignored", async () => {
    const keys = await generateKeys();
    const bundle = publicBundle(keys);
    assert.deepEqual(Object.keys(bundle), ["format", "encryption_key", "signing_key"]);
    const read = await readPublicBundle({ ...bundle, note: "ignored" });
    assert.deepEqual(read.encryptionPoint, keys.encryptionPoint);
    assert.deepEqual(read.signingPoint, keys.signingPoint);
  });

  test("a point off the curve, a compressed point, another format are refused", async () => {
    const bundle = publicBundle(await generateKeys());
    const point = b64uDecode(bundle.signing_key);
    point[64] ^= 1;
    const compressed = b64uDecode(bundle.signing_key).slice(0, 33);
    compressed[0] = 0x02;
    for (const bad of [
      { ...bundle, signing_key: b64uEncode(point) },
      { ...bundle, encryption_key: b64uEncode(compressed) },
      { ...bundle, format: "bidseal-public-key/2" },
      [bundle],
    ]) {
      await assert.rejects(readPublicBundle(bad), TypeError);
    }
  });
});
