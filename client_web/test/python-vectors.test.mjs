import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";

import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";

import {
  InvalidSealedBidError,
  InvalidSignedDocumentError,
  KeyFileError,
  b64uDecode,
  importPrivateKeyFile,
  keyId,
  openRehearsalEnvelope,
  openSealed,
  parseSealed,
  readPublicBundle,
  signChallenge,
  unwrapDataKey,
  verifySignedDocument,
} from "../src/bidseal/index.js";
import { bodyDigest, toBeSigned } from "../src/bidseal/bidsignature.js";
import { concatBytes, hex, utf8 } from "../src/bidseal/bytes.js";
import { chunkNonce } from "../src/bidseal/chunks.js";
import { dataKeyInfo } from "../src/bidseal/datakey.js";
import { bidderKeys } from "../src/bidseal/keys.js";
import {
  ecdsaVerify,
  exportPrivateScalar,
  hkdfSha256,
  importPrivateScalar,
  importPublicPoint,
  sha256,
} from "../src/bidseal/primitives.js";
import { rehearsalContext } from "../src/bidseal/rehearsal.js";
import { challengeMessage, signedDocumentMessage } from "../src/bidseal/signed.js";
import { sealToBytes } from "./support.mjs";

// The shared vectors the Python implementation wrote (tests/vectors/*.json,
// made by tests/vectors/make_vectors.py with every random input fixed). This
// implementation must read them, derive the same intermediate values, and
// write the same bytes from the same inputs (all but the ECDSA signature,
// which WebCrypto always randomises).

const VECTORS = new URL("../../tests/vectors/", import.meta.url);
const load = async (/** @type {string} */ name) => JSON.parse(await readFile(new URL(name, VECTORS), "utf8"));
const fromHex = (/** @type {string} */ text) => Uint8Array.from(text.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

const sealedVectors = await load("sealed-bid-v1.json");
const invalidVectors = await load("invalid-sealed-bid-v1.json");
const keyVectors = await load("private-key-v1.json");
const signedVectors = await load("signed-v1.json");

/**
 * The bidder keys of a vector file, from its private scalars.
 * @param {{encryption_private: string, signing_private: string, encryption_key: string, signing_key: string}} k
 */
async function keysOf(k) {
  const encryptionPoint = b64uDecode(k.encryption_key);
  const signingPoint = b64uDecode(k.signing_key);
  return bidderKeys(
    {
      privateKey: await importPrivateScalar(encryptionPoint, fromHex(k.encryption_private), "ecdh"),
      publicKey: await importPublicPoint(encryptionPoint, "ecdh"),
    },
    {
      privateKey: await importPrivateScalar(signingPoint, fromHex(k.signing_private), "ecdsa"),
      publicKey: await importPublicPoint(signingPoint, "ecdsa"),
    },
    encryptionPoint,
    signingPoint,
  );
}

const hpke = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

describe("Python-made sealed files (sealed-bid-v1.json)", async () => {
  const keys = await keysOf(sealedVectors.keys);

  test("the bidder key id", async () => {
    assert.equal(await keyId(keys.signingPoint), sealedVectors.keys.bidder_key_id);
  });

  for (const v of sealedVectors.vectors) {
    describe(v.name, () => {
      const file = b64uDecode(v.sealed);

      test("reads, unwraps and opens to the document and summary", async () => {
        const sealed = await parseSealed(file);
        assert.equal(sealed.bidSha256, v.bid_sha256);
        assert.deepEqual({ ...sealed.context }, v.context);
        assert.equal(hex(sealed.headerHash), v.header_hash);
        const dataKey = await unwrapDataKey(sealed, keys, v.context);
        assert.equal(hex(dataKey), v.data_key);
        const opened = await openSealed(sealed, dataKey);
        assert.equal(hex(opened.document), v.document);
        assert.deepEqual(opened.summary, sealedVectors.summary);
      });

      test("every intermediate value of section 2", async () => {
        const dataKey = fromHex(v.data_key);
        assert.equal(hex(dataKeyInfo(v.context)), v.hpke.info);
        assert.equal(hex(await hkdfSha256(dataKey, utf8("bidseal/1 body"))), v.body_key);
        assert.equal(hex(await hkdfSha256(dataKey, utf8("bidseal/1 summary"))), v.summary_key);
        const headerLength = new DataView(file.buffer, file.byteOffset).getUint32(8);
        assert.equal(new TextDecoder().decode(file.subarray(12, 12 + headerLength)), v.header_json);
        const hashes = [];
        for (const [i, chunk] of v.chunks.entries()) {
          assert.equal(hex(chunkNonce(fromHex(v.nonce_prefix), i, i === v.chunks.length - 1)), chunk.nonce);
          hashes.push(fromHex(chunk.ciphertext_sha256));
        }
        assert.equal(hex(await bodyDigest(concatBytes(...hashes))), v.body_digest);
        const summaryAt = 12 + headerLength;
        const summaryLength = new DataView(file.buffer, file.byteOffset).getUint32(summaryAt);
        const summaryBlock = file.subarray(summaryAt, summaryAt + 4 + summaryLength);
        assert.equal(hex(await sha256(summaryBlock.subarray(4))), v.summary_ct_sha256);
        const tbs = await toBeSigned(fromHex(v.header_hash), summaryBlock, fromHex(v.body_digest));
        assert.equal(hex(tbs), v.tbs);
        assert.equal(hex(file.subarray(file.length - 64)), v.signature);
        assert.equal(hex(await sha256(concatBytes(tbs, fromHex(v.signature)))), v.bid_sha256);
      });

      test("HPKE with the vector's ephemeral key gives the same wrapped key", async () => {
        const enc = fromHex(v.hpke.enc);
        const ekm = {
          privateKey: await importPrivateScalar(enc, fromHex(v.hpke.ephemeral_private), "ecdh"),
          publicKey: await importPublicPoint(enc, "ecdh"),
        };
        const { enc: made, ct } = await hpke.seal(
          { recipientPublicKey: keys.encryption.publicKey, info: fromHex(v.hpke.info), ekm },
          fromHex(v.data_key),
        );
        assert.equal(hex(concatBytes(new Uint8Array(made), new Uint8Array(ct))), v.wrapped_key);
      });

      test("sealing the same inputs writes the same bytes up to the signature", async () => {
        const { file: made } = await sealToBytes(
          {
            document: fromHex(v.document),
            keys,
            context: v.context,
            summary: sealedVectors.summary,
            chunkSize: v.chunk_size,
          },
          {
            dataKey: () => fromHex(v.data_key),
            noncePrefix: () => fromHex(v.nonce_prefix),
            wrappedKey: async () => fromHex(v.wrapped_key),
          },
        );
        assert.equal(made.length, file.length);
        assert.equal(hex(made.subarray(0, made.length - 64)), hex(file.subarray(0, file.length - 64)));
        // The signature differs (random ECDSA nonce) but is valid over the same tbs.
        const signerKey = await importPublicPoint(keys.signingPoint, "ecdsa");
        assert.ok(await ecdsaVerify(signerKey, made.subarray(made.length - 64), fromHex(v.tbs)));
      });
    });
  }
});

describe("Python-made invalid files (invalid-sealed-bid-v1.json)", async () => {
  const keys = await keysOf(invalidVectors.keys);

  for (const v of invalidVectors.vectors) {
    test(`${v.fails_at}: ${v.name} (${v.reason})`, async () => {
      const file = b64uDecode(v.sealed);
      if (v.fails_at === "read") {
        await assert.rejects(parseSealed(file), InvalidSealedBidError);
        return;
      }
      assert.equal(v.fails_at, "open");
      const sealed = await parseSealed(file);
      await assert.rejects(
        (async () => openSealed(sealed, await unwrapDataKey(sealed, keys)))(),
        InvalidSealedBidError,
      );
    });
  }
});

describe("Python-made key file (private-key-v1.json)", () => {
  test("opens with the passphrase, NFC or NFD, to the vector's scalars", async () => {
    const v = keyVectors;
    assert.equal(hex(utf8(v.passphrase.normalize("NFC"))), v.passphrase_nfc_utf8);
    for (const passphrase of [v.passphrase, v.passphrase.normalize("NFD")]) {
      const keys = await importPrivateKeyFile(v.key_file, passphrase);
      assert.equal(hex(await exportPrivateScalar(keys.encryption.privateKey)), v.encryption_private);
      assert.equal(hex(await exportPrivateScalar(keys.signing.privateKey)), v.signing_private);
      const bundle = await readPublicBundle(v.public_bundle);
      assert.deepEqual(keys.signingPoint, bundle.signingPoint);
      assert.deepEqual(keys.encryptionPoint, bundle.encryptionPoint);
      assert.equal(await keyId(keys.signingPoint), v.bidder_key_id);
    }
  });

  test("refuses the wrong passphrases", async () => {
    for (const wrong of keyVectors.wrong_passphrases) {
      await assert.rejects(importPrivateKeyFile(keyVectors.key_file, wrong), KeyFileError);
    }
  });

  for (const variant of keyVectors.variants) {
    test(`${variant.opens ? "opens" : "refused"}: ${variant.name} (${variant.reason})`, async () => {
      const importing = importPrivateKeyFile(variant.key_file, keyVectors.passphrase);
      if (variant.opens) {
        assert.equal(await keyId((await importing).signingPoint), keyVectors.bidder_key_id);
      } else {
        await assert.rejects(importing, { name: "KeyFileError", message: "wrong passphrase or damaged key file" });
      }
    });
  }
});

describe("Python-made signed documents (signed-v1.json)", () => {
  const v = signedVectors;

  test("the receipt verifies against the server key", async () => {
    const { type, payload } = v.receipt.envelope;
    assert.equal(hex(signedDocumentMessage(type, payload)), v.receipt.signed_message);
    assert.deepEqual(await verifySignedDocument(v.receipt.envelope, "receipt", v.server_public), v.receipt.payload);
  });

  for (const bad of v.bad_receipts) {
    test(`refused: ${bad.name}`, async () => {
      await assert.rejects(verifySignedDocument(bad.envelope, "receipt", v.server_public), InvalidSignedDocumentError);
    });
  }

  test("the challenge message and signature", async () => {
    const c = v.challenge;
    assert.equal(hex(challengeMessage(c.challenge, c.audience)), c.message);
    const publicKey = await importPublicPoint(b64uDecode(c.signing_key), "ecdsa");
    assert.ok(await ecdsaVerify(publicKey, b64uDecode(c.signature), fromHex(c.message)));
    // A JavaScript signature by the same key verifies over the same message too.
    const keys = await keysOf(sealedVectors.keys);
    assert.deepEqual(keys.signingPoint, b64uDecode(c.signing_key));
    const ours = await signChallenge(keys, c.challenge, c.audience);
    assert.ok(await ecdsaVerify(publicKey, b64uDecode(ours), fromHex(c.message)));
  });

  test("the rehearsal envelope opens to its key", async () => {
    const r = v.rehearsal;
    assert.equal(hex(dataKeyInfo(rehearsalContext(r.challenge_id, r.bidder))), r.info);
    const keys = await keysOf(sealedVectors.keys);
    const key = await openRehearsalEnvelope(r.envelope, keys, { challengeId: r.challenge_id, bidder: r.bidder });
    assert.equal(hex(key), r.key);
  });
});
