import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";

import {
  InvalidSealedBidError,
  b64uDecode,
  bidderKeyId,
  importPrivateKeyFile,
  openRehearsalEnvelope,
  openSealed,
  parseSealed,
  unwrapDataKey,
} from "../src/bidseal/index.js";
import { challengeMessage } from "../src/bidseal/signed.js";
import { ecdsaVerify, importPublicPoint } from "../src/bidseal/primitives.js";

// The vectors this implementation wrote (tests/vectors/js): they must keep
// opening here as they open in Python, or a change broke files already sealed.
const JS_VECTORS = new URL("../../tests/vectors/js/", import.meta.url);
const manifest = JSON.parse(await readFile(new URL("manifest.json", JS_VECTORS), "utf8"));
const read = async (/** @type {string} */ name) => new Uint8Array(await readFile(new URL(name, JS_VECTORS)));
const keys = await importPrivateKeyFile(
  await readFile(new URL(`${manifest.keys.dir}/bidder-key.json`, JS_VECTORS), "utf8"),
  manifest.keys.passphrase,
);

describe("JavaScript-made vectors", () => {
  test("the key file is the bidder's", async () => {
    assert.equal(await bidderKeyId(keys), manifest.keys.bidder_key_id);
  });

  for (const vector of manifest.sealed) {
    test(`sealed: ${vector.name}`, async () => {
      const sealed = await parseSealed(await read(vector.file));
      assert.equal(sealed.bidSha256, vector.bid_sha256);
      assert.deepEqual({ ...sealed.context }, vector.context);
      const dataKey = await unwrapDataKey(sealed, keys, vector.context);
      assert.deepEqual(dataKey, b64uDecode(vector.data_key));
      const opened = await openSealed(sealed, dataKey);
      assert.deepEqual(opened.document, await read(vector.document));
      assert.deepEqual(opened.summary, vector.summary);
    });
  }

  for (const vector of manifest.invalid) {
    test(`invalid (${vector.fails_at}): ${vector.name}`, async () => {
      const file = await read(vector.file);
      if (vector.fails_at === "read") {
        await assert.rejects(parseSealed(file), InvalidSealedBidError);
        return;
      }
      const sealed = await parseSealed(file);
      await assert.rejects(
        (async () => openSealed(sealed, await unwrapDataKey(sealed, keys)))(),
        InvalidSealedBidError,
      );
    });
  }

  test("challenge signatures", async () => {
    const publicKey = await importPublicPoint(keys.signingPoint, "ecdsa");
    for (const { challenge, audience, signature } of manifest.challenges) {
      assert.ok(await ecdsaVerify(publicKey, b64uDecode(signature), challengeMessage(challenge, audience)));
    }
  });

  test("rehearsal envelope", async () => {
    const { envelope, challenge_id: challengeId, bidder, key } = manifest.rehearsal;
    assert.deepEqual(await openRehearsalEnvelope(envelope, keys, { challengeId, bidder }), b64uDecode(key));
  });
});
