import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import {
  InvalidSealedBidError,
  InvalidSignedDocumentError,
  b64uDecode,
  b64uEncode,
  generateKeys,
  openRehearsalEnvelope,
  signChallenge,
  verifySignedDocument,
} from "../src/bidseal/index.js";
import { utf8 } from "../src/bidseal/bytes.js";
import { wrapDataKey } from "../src/bidseal/datakey.js";
import {
  ecdsaSign,
  ecdsaVerify,
  exportPublicPoint,
  generateEcdsaPair,
  importPublicPoint,
  randomBytes,
} from "../src/bidseal/primitives.js";


/**
 * A server signer written from section 4, independent of the verifier.
 * @param {CryptoKeyPair} server
 * @param {string} type
 * @param {string} payload
 */
async function signDocument(server, type, payload) {
  const message = utf8(`bidseal-signed/1\n${type}\n${payload}`);
  return {
    format: "bidseal-signed/1",
    type,
    payload,
    signature: b64uEncode(await ecdsaSign(server.privateKey, message)),
    key: b64uEncode(await exportPublicPoint(server.publicKey)),
  };
}

/**
 * @param {Promise<unknown>} attempt
 */
async function assertInvalid(attempt) {
  await assert.rejects(attempt, (error) => {
    assert.ok(error instanceof InvalidSignedDocumentError);
    assert.equal(error.message, "invalid signed document");
    return true;
  });
}

const RECEIPT = {
  tender: "ZB-2026-001",
  lot: "标段1",
  bidder: "91310000MA1K",
  bid_sha256: "ab".repeat(32),
  size: 123456,
  received_at: "2026-11-27T01:02:03.123456Z",
  receipt_no: 17,
};

describe("signed documents", () => {
  /** @type {CryptoKeyPair} */
  let server;
  /** @type {string} */
  let trusted;
  let receipt;

  before(async () => {
    server = await generateEcdsaPair();
    trusted = b64uEncode(await exportPublicPoint(server.publicKey));
    receipt = await signDocument(server, "receipt", JSON.stringify(RECEIPT));
  });

  test("a receipt verifies and its payload is returned", async () => {
    assert.deepEqual(await verifySignedDocument(receipt, "receipt", trusted), RECEIPT);
    assert.deepEqual(await verifySignedDocument(JSON.stringify(receipt), "receipt", trusted), RECEIPT);
  });

  test("another expected type", async () => {
    await assertInvalid(verifySignedDocument(receipt, "opening-record", trusted));
  });

  test("a type changed in the envelope", async () => {
    await assertInvalid(verifySignedDocument({ ...receipt, type: "withdrawal" }, "withdrawal", trusted));
  });

  test("a key other than the trusted one, even with a valid signature", async () => {
    const impostor = await generateEcdsaPair();
    const forged = await signDocument(impostor, "receipt", receipt.payload);
    await assertInvalid(verifySignedDocument(forged, "receipt", trusted));
  });

  test("a payload changed by one character", async () => {
    const changed = receipt.payload.replace('"receipt_no":17', '"receipt_no":18');
    assert.notEqual(changed, receipt.payload);
    await assertInvalid(verifySignedDocument({ ...receipt, payload: changed }, "receipt", trusted));
  });

  test("a payload re-spelled with the same meaning (the signature covers the text)", async () => {
    const spaced = JSON.stringify(RECEIPT, null, 1);
    await assertInvalid(verifySignedDocument({ ...receipt, payload: spaced }, "receipt", trusted));
  });

  test("a flipped signature bit", async () => {
    const signature = b64uDecode(receipt.signature);
    signature[40] ^= 1;
    await assertInvalid(verifySignedDocument({ ...receipt, signature: b64uEncode(signature) }, "receipt", trusted));
  });

  test("a validly signed payload with a duplicate member", async () => {
    const doubled = await signDocument(server, "receipt", '{"receipt_no":17,"receipt_no":18}');
    await assertInvalid(verifySignedDocument(doubled, "receipt", trusted));
  });

  test("a validly signed payload that is not an object", async () => {
    const listed = await signDocument(server, "receipt", "[1,2]");
    await assertInvalid(verifySignedDocument(listed, "receipt", trusted));
  });

  test("an envelope with a member more or less", async () => {
    await assertInvalid(verifySignedDocument({ ...receipt, note: "x" }, "receipt", trusted));
    const { key, ...keyless } = receipt;
    await assertInvalid(verifySignedDocument(keyless, "receipt", trusted));
  });

  test("an unknown expected type is a caller error", async () => {
    await assert.rejects(verifySignedDocument(receipt, "invoice", trusted), TypeError);
  });
});

describe("sign-in challenge", () => {
  test("the signature is ECDSA P-256 over the auth message", async () => {
    const keys = await generateKeys();
    const signature = await signChallenge(keys, "n0nce-Zz", "https://kaibiao.example");
    const publicKey = await importPublicPoint(keys.signingPoint, "ecdsa");
    const message = utf8("bidopen-auth/1\nhttps://kaibiao.example\nn0nce-Zz");
    assert.equal(b64uDecode(signature).length, 64);
    assert.ok(await ecdsaVerify(publicKey, b64uDecode(signature), message));
    assert.ok(!(await ecdsaVerify(publicKey, b64uDecode(signature), utf8("bidopen-auth/1\nhttps://other\nn0nce-Zz"))));
  });

  test("an audience with a newline is refused", async () => {
    const keys = await generateKeys();
    await assert.rejects(signChallenge(keys, "c", "a\nb"), TypeError);
  });
});

describe("rehearsal envelope", () => {
  test("opens for its challenge and bidder only", async () => {
    const keys = await generateKeys();
    const key = randomBytes(32);
    // Section 2.8: wrapped as a data key for tender "rehearsal", lot = challenge id.
    const context = { tender: "rehearsal", lot: "ch-1", bidder: "B-1" };
    const envelope = b64uEncode(await wrapDataKey(key, keys.encryption.publicKey, context));
    assert.deepEqual(await openRehearsalEnvelope(envelope, keys, { challengeId: "ch-1", bidder: "B-1" }), key);
    for (const wrong of [
      { challengeId: "ch-2", bidder: "B-1" },
      { challengeId: "ch-1", bidder: "B-2" },
    ]) {
      await assert.rejects(openRehearsalEnvelope(envelope, keys, wrong), InvalidSealedBidError);
    }
    const other = await generateKeys();
    await assert.rejects(
      openRehearsalEnvelope(envelope, other, { challengeId: "ch-1", bidder: "B-1" }),
      InvalidSealedBidError,
    );
    await assert.rejects(
      openRehearsalEnvelope(`${envelope}A`, keys, { challengeId: "ch-1", bidder: "B-1" }),
      InvalidSealedBidError,
    );
  });
});
