import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";

import {
  InvalidSealedBidError,
  InvalidSignedDocumentError,
  KeyFileError,
  b64uDecode,
  importPrivateKeyFile,
  openSealed,
  parseSealed,
  readPublicBundle,
  verifySignedDocument,
} from "../src/bidseal/index.js";
import { MAX_DEPTH, StrictJsonError, parseStrictJsonBytes } from "../src/bidseal/strictjson.js";

// The JSON profile (format section 0.1): the same cases the Python tests load
// (tests/vectors/json-profile-v1.json, made by make_json_profile.py), each
// put in every JSON text of the format. Either reader drifting fails here or
// in tests/crypto/test_bidseal_json_profile.py.

const profile = JSON.parse(
  await readFile(new URL("../../tests/vectors/json-profile-v1.json", import.meta.url), "utf8"),
);
const fromHex = (/** @type {string} */ text) => Uint8Array.from(text.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
const dataKey = fromHex(profile.data_key);
// JSON text in which the double -0 stays apart from 0 (JSON.stringify writes both as 0).
const signedZeros = (/** @type {unknown} */ value) =>
  JSON.stringify(value, (_, v) => (Object.is(v, -0) ? "-0 (double)" : v));

test("-0 is the integer 0; -0.0 is the double -0 (section 0.1)", () => {
  assert.ok(Object.is(parseStrictJsonBytes(new TextEncoder().encode("-0")), 0));
  assert.ok(Object.is(parseStrictJsonBytes(new TextEncoder().encode("-0.0")), -0));
  assert.equal(profile.cases.find((/** @type {{name: string}} */ c) => c.name === "minus-zero").canonical, '{"x":0}');
});

test("the vectors' depth limit is this reader's", () => {
  assert.equal(profile.max_depth, MAX_DEPTH);
});

for (const c of profile.cases) {
  describe(`${c.name} (${c.reason}): ${c.accepted ? "accepted" : "refused"}`, () => {
    test("the reader", () => {
      const text = b64uDecode(c.text);
      for (const [integersOnly, accepted] of [
        [false, c.accepted],
        [true, c.integers_only_accepted],
      ]) {
        if (accepted) {
          const value = parseStrictJsonBytes(text, { integersOnly });
          assert.equal(signedZeros(value), signedZeros(c.value));
          if (c.canonical !== null) {
            assert.equal(JSON.stringify(value), c.canonical);
          }
        } else {
          assert.throws(() => parseStrictJsonBytes(text, { integersOnly }), StrictJsonError);
        }
      }
    });

    test("the sealed summary", async () => {
      const sealed = await parseSealed(b64uDecode(c.sealed));
      if (c.accepted) {
        const opened = await openSealed(sealed, dataKey);
        assert.equal(signedZeros(opened.summary.x), signedZeros(c.value.x));
      } else {
        await assert.rejects(openSealed(sealed, dataKey), InvalidSealedBidError);
      }
    });

    if (c.receipt !== null) {
      test("the signed payload", async () => {
        const verifying = verifySignedDocument(c.receipt, "receipt", profile.server_public);
        if (c.accepted) {
          assert.equal((await verifying).receipt_no, 17);
        } else {
          await assert.rejects(verifying, InvalidSignedDocumentError);
        }
      });
    }

    test("the key file", async () => {
      const importing = importPrivateKeyFile(b64uDecode(c.key_file), profile.passphrase);
      if (c.integers_only_accepted) {
        await importing;
      } else {
        await assert.rejects(importing, KeyFileError);
      }
    });

    test("the public bundle", async () => {
      const reading = readPublicBundle(b64uDecode(c.public_bundle));
      if (c.accepted) {
        await reading;
      } else {
        await assert.rejects(reading, TypeError);
      }
    });
  });
}

test("an envelope given as text is read under the profile", async () => {
  const envelope = profile.cases.find((/** @type {{name: string}} */ c) => c.name === "plain-object").receipt;
  const text = JSON.stringify(envelope);
  assert.equal((await verifySignedDocument(text, "receipt", profile.server_public)).receipt_no, 17);
  const doubled = text.replace('{"format"', '{"type":"receipt","format"');
  for (const refused of [doubled, `\uFEFF${text}`, `${text}x`]) {
    await assert.rejects(verifySignedDocument(refused, "receipt", profile.server_public), InvalidSignedDocumentError);
  }
});
