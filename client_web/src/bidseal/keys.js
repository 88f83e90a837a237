/** The bidder's two P-256 key pairs, key ids and the public key bundle (format section 1, 1.1). */

import { b64uDecodeExact, b64uEncode, hex } from "./bytes.js";
import {
  POINT_LENGTH,
  exportPublicPoint,
  generateEcdhPair,
  generateEcdsaPair,
  importPublicPoint,
  sha256,
} from "./primitives.js";
import { parseStrictJson, parseStrictJsonBytes } from "./strictjson.js";

export const PUBLIC_BUNDLE_FORMAT = "bidseal-public-key/1";

/**
 * A bidder's keys. The private keys are extractable CryptoKeys because the
 * key file (section 1.2) must be written from them.
 * @typedef {object} BidderKeys
 * @property {CryptoKeyPair} encryption ECDH pair (HPKE recipient)
 * @property {CryptoKeyPair} signing ECDSA pair
 * @property {Uint8Array} encryptionPoint 65-byte uncompressed point
 * @property {Uint8Array} signingPoint 65-byte uncompressed point
 */

/**
 * @param {CryptoKeyPair} encryption
 * @param {CryptoKeyPair} signing
 * @param {Uint8Array} encryptionPoint
 * @param {Uint8Array} signingPoint
 * @returns {BidderKeys}
 */
export function bidderKeys(encryption, signing, encryptionPoint, signingPoint) {
  return Object.freeze({ encryption, signing, encryptionPoint, signingPoint });
}

/**
 * Makes a new encryption key pair and signing key pair on this machine.
 * @returns {Promise<BidderKeys>}
 */
export async function generateKeys() {
  const encryption = await generateEcdhPair();
  const signing = await generateEcdsaPair();
  return bidderKeys(
    encryption,
    signing,
    await exportPublicPoint(encryption.publicKey),
    await exportPublicPoint(signing.publicKey),
  );
}

/**
 * key id = hex(SHA-256(point)).
 * @param {Uint8Array} point
 * @returns {Promise<string>}
 */
export async function keyId(point) {
  if (!(point instanceof Uint8Array) || point.length !== POINT_LENGTH) {
    throw new TypeError("a key id is taken of a 65-byte public point");
  }
  return hex(await sha256(point));
}

/**
 * The bidder key id: the key id of the signing key.
 * @param {BidderKeys} keys
 * @returns {Promise<string>}
 */
export function bidderKeyId(keys) {
  return keyId(keys.signingPoint);
}

/**
 * The JSON object of `bidder-public.json` (section 1.1).
 * @param {BidderKeys} keys
 * @returns {{format: string, encryption_key: string, signing_key: string}}
 */
export function publicBundle(keys) {
  return {
    format: PUBLIC_BUNDLE_FORMAT,
    encryption_key: b64uEncode(keys.encryptionPoint),
    signing_key: b64uEncode(keys.signingPoint),
  };
}

/**
 * Reads a public key bundle; other members are ignored (section 1.1).
 * @param {unknown} bundle the parsed JSON object, its text, or its bytes (UTF-8)
 * @returns {Promise<{encryptionPoint: Uint8Array, signingPoint: Uint8Array}>}
 * @throws {TypeError} when the bundle is not a valid bundle
 */
export async function readPublicBundle(bundle) {
  const invalid = new TypeError("not a bidseal-public-key/1 bundle with two valid P-256 points");
  if (typeof bundle === "string" || bundle instanceof Uint8Array) {
    try {
      bundle = typeof bundle === "string" ? parseStrictJson(bundle) : parseStrictJsonBytes(bundle);
    } catch {
      throw invalid;
    }
  }
  if (typeof bundle !== "object" || bundle === null || Array.isArray(bundle)) {
    throw invalid;
  }
  const { format, encryption_key: enc, signing_key: sig } = /** @type {any} */ (bundle);
  if (format !== PUBLIC_BUNDLE_FORMAT) {
    throw invalid;
  }
  try {
    const encryptionPoint = b64uDecodeExact(enc, POINT_LENGTH);
    const signingPoint = b64uDecodeExact(sig, POINT_LENGTH);
    await importPublicPoint(encryptionPoint, "ecdh");
    await importPublicPoint(signingPoint, "ecdsa");
    return { encryptionPoint, signingPoint };
  } catch {
    throw invalid;
  }
}
