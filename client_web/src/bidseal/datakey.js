/** The data key and its HPKE wrapping to the bidder's encryption key (format sections 2.2, 2.3). */

import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";

import { concatBytes, lp, utf8 } from "./bytes.js";
import { DATA_KEY_LENGTH, WRAPPED_KEY_LENGTH } from "./layout.js";
import { POINT_LENGTH, hkdfSha256, importAesKey } from "./primitives.js";

const DATA_KEY_LABEL = utf8("bidseal/1 data-key");
const BODY_LABEL = utf8("bidseal/1 body");
const SUMMARY_LABEL = utf8("bidseal/1 summary");

/** @type {CipherSuite | undefined} */
let suite;

function hpke() {
  // Made on first use: constructing it touches WebCrypto.
  suite ??= new CipherSuite({
    kem: new DhkemP256HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes256Gcm(),
  });
  return suite;
}

/**
 * info = "bidseal/1 data-key" || lp(tender) || lp(lot) || lp(bidder)
 * @param {import("./header.js").SealContext} context
 * @returns {Uint8Array}
 */
export function dataKeyInfo(context) {
  return concatBytes(DATA_KEY_LABEL, lp(context.tender), lp(context.lot), lp(context.bidder));
}

/**
 * HPKE base mode, single shot, empty aad; returns enc || ct.
 * @param {Uint8Array} dataKey 32 bytes
 * @param {CryptoKey} recipientPublicKey ECDH P-256 public key
 * @param {import("./header.js").SealContext} context
 * @returns {Promise<Uint8Array>} 113 bytes
 */
export function wrapDataKey(dataKey, recipientPublicKey, context) {
  return wrapWithInfo(dataKey, recipientPublicKey, dataKeyInfo(context));
}

/**
 * HPKE base mode, single shot, empty aad, with any info; returns enc || ct.
 * @param {Uint8Array} key 32 bytes
 * @param {CryptoKey} recipientPublicKey
 * @param {Uint8Array} info
 * @returns {Promise<Uint8Array>} 113 bytes
 */
export async function wrapWithInfo(key, recipientPublicKey, info) {
  const { enc, ct } = await hpke().seal({ recipientPublicKey, info }, key);
  const wrapped = concatBytes(new Uint8Array(enc), new Uint8Array(ct));
  if (wrapped.length !== WRAPPED_KEY_LENGTH) {
    throw new Error("HPKE produced an unexpected wrapped key length");
  }
  return wrapped;
}

/**
 * Unwraps enc || ct with the recipient's key pair; null when it does not open.
 * @param {Uint8Array} wrapped 113 bytes
 * @param {CryptoKeyPair} recipient ECDH key pair
 * @param {Uint8Array} info the HPKE info the key was wrapped with
 * @returns {Promise<Uint8Array | null>} the 32-byte data key
 */
export async function unwrapWithKeyPair(wrapped, recipient, info) {
  if (wrapped.length !== WRAPPED_KEY_LENGTH) {
    return null;
  }
  try {
    const plaintext = await hpke().open(
      {
        recipientKey: recipient,
        enc: wrapped.slice(0, POINT_LENGTH),
        info,
      },
      wrapped.slice(POINT_LENGTH),
    );
    const dataKey = new Uint8Array(plaintext);
    return dataKey.length === DATA_KEY_LENGTH ? dataKey : null;
  } catch {
    return null;
  }
}

/**
 * body_key and summary_key from the data key (section 2.3).
 * @param {Uint8Array} dataKey
 * @returns {Promise<{bodyKey: CryptoKey, summaryKey: CryptoKey}>}
 */
export async function deriveSubkeys(dataKey) {
  return {
    bodyKey: await importAesKey(await hkdfSha256(dataKey, BODY_LABEL)),
    summaryKey: await importAesKey(await hkdfSha256(dataKey, SUMMARY_LABEL)),
  };
}
