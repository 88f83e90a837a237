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
          // Compared as JSON: -0 is 0 to the Python reader and in the vector file.
          assert.equal(JSON.stringify(parseStrictJsonBytes(text, { integersOnly })), JSON.stringify(c.value));
        } else {
          assert.throws(() => parseStrictJsonBytes(text, { integersOnly }), StrictJsonError);
        }
      }
    });

    test("the sealed summary", async () => {
      const sealed = await parseSealed(b64uDecode(c.sealed));
      if (c.accepted) {
        const opened = await openSealed(sealed, dataKey);
        assert.equal(JSON.stringify(opened.summary.x), JSON.stringify(c.value.x));
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
