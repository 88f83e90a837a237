/** Thin wrappers over WebCrypto for the primitives the format uses (SHA-256, AES-256-GCM, HKDF, P-256). */

import { b64uDecode, b64uEncode } from "./bytes.js";

export const POINT_LENGTH = 65;
export const SCALAR_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;
export const GCM_TAG_LENGTH = 16;

const ECDSA_P256 = Object.freeze({ name: "ECDSA", namedCurve: "P-256" });
const ECDH_P256 = Object.freeze({ name: "ECDH", namedCurve: "P-256" });
const ECDSA_SHA256 = Object.freeze({ name: "ECDSA", hash: "SHA-256" });

/** @returns {SubtleCrypto} */
function subtle() {
  // Looked up on use, not at import, so that merely importing the module
  // works in contexts without WebCrypto (it is absent on plain-http pages).
  const api = globalThis.crypto?.subtle;
  if (api === undefined) {
    throw new Error("WebCrypto is not available (the page must be served over https or from localhost)");
  }
  return api;
}

/**
 * @param {number} length
 * @returns {Uint8Array}
 */
export function randomBytes(length) {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/**
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export async function sha256(data) {
  return new Uint8Array(await subtle().digest("SHA-256", data));
}

/**
 * @param {Uint8Array} raw 32 bytes
 * @returns {Promise<CryptoKey>}
 */
export function importAesKey(raw) {
  return subtle().importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/**
 * @param {CryptoKey} key
 * @param {Uint8Array} nonce 12 bytes
 * @param {Uint8Array} plaintext
 * @param {Uint8Array} aad
 * @returns {Promise<Uint8Array>} ciphertext || 16-byte tag
 */
export async function aesGcmEncrypt(key, nonce, plaintext, aad) {
  const ct = await subtle().encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 },
    key,
    plaintext,
  );
  return new Uint8Array(ct);
}

/**
 * @param {CryptoKey} key
 * @param {Uint8Array} nonce
 * @param {Uint8Array} ciphertext ciphertext || tag
 * @param {Uint8Array} aad
 * @returns {Promise<Uint8Array>} plaintext; rejects when the tag does not verify
 */
export async function aesGcmDecrypt(key, nonce, ciphertext, aad) {
  const pt = await subtle().decrypt(
    { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 },
    key,
    ciphertext,
  );
  return new Uint8Array(pt);
}

/**
 * HKDF-SHA256 with an empty salt, as section 2.3 uses it.
 * @param {Uint8Array} ikm
 * @param {Uint8Array} info
 * @returns {Promise<Uint8Array>} 32 bytes
 */
export async function hkdfSha256(ikm, info) {
  const key = await subtle().importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await subtle().deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * PBKDF2-HMAC-SHA256, 32 bytes.
 * @param {Uint8Array} password
 * @param {Uint8Array} salt
 * @param {number} iterations
 * @returns {Promise<Uint8Array>}
 */
export async function pbkdf2Sha256(password, salt, iterations) {
  const key = await subtle().importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await subtle().deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * Imports a 65-byte uncompressed SEC1 point; WebCrypto checks that it is on the curve.
 * @param {Uint8Array} point
 * @param {"ecdsa" | "ecdh"} use
 * @returns {Promise<CryptoKey>}
 * @throws {Error} when the bytes are not an uncompressed P-256 point
 */
export async function importPublicPoint(point, use) {
  // WebCrypto also takes compressed points; the format allows only 0x04 || X || Y.
  if (!(point instanceof Uint8Array) || point.length !== POINT_LENGTH || point[0] !== 0x04) {
    throw new Error("not an uncompressed P-256 point");
  }
  const alg = use === "ecdsa" ? ECDSA_P256 : ECDH_P256;
  const usages = use === "ecdsa" ? ["verify"] : [];
  return subtle().importKey("raw", point, alg, true, usages);
}

/**
 * @param {CryptoKey} publicKey
 * @returns {Promise<Uint8Array>} 65-byte uncompressed point
 */
export async function exportPublicPoint(publicKey) {
  return new Uint8Array(await subtle().exportKey("raw", publicKey));
}

/**
 * @param {Uint8Array} point
 * @param {Uint8Array} scalar 32 bytes
 * @param {"ecdsa" | "ecdh"} use
 * @returns {Promise<CryptoKey>}
 */
export function importPrivateScalar(point, scalar, use) {
  const jwk = {
    kty: "EC",
    crv: "P-256",
    x: b64uEncode(point.subarray(1, 33)),
    y: b64uEncode(point.subarray(33, 65)),
    d: b64uEncode(scalar),
    ext: true,
  };
  const alg = use === "ecdsa" ? ECDSA_P256 : ECDH_P256;
  const usages = use === "ecdsa" ? ["sign"] : ["deriveBits"];
  return subtle().importKey("jwk", jwk, alg, true, usages);
}

/**
 * @param {CryptoKey} privateKey an extractable P-256 private key
 * @returns {Promise<Uint8Array>} the 32-byte private scalar
 */
export async function exportPrivateScalar(privateKey) {
  const jwk = await subtle().exportKey("jwk", privateKey);
  // RFC 7518 makes d exactly the curve's length, zero-padded.
  const d = b64uDecode(String(jwk.d));
  if (d.length !== SCALAR_LENGTH) {
    throw new Error("unexpected private scalar length");
  }
  return d;
}

/**
 * Whether a scalar and a point form a key pair, checked by signing and
 * verifying: some browsers import a JWK without checking that d matches x, y.
 * @param {Uint8Array} point
 * @param {Uint8Array} scalar
 * @returns {Promise<boolean>}
 */
export async function isKeyPair(point, scalar) {
  try {
    const probe = randomBytes(32);
    const privateKey = await importPrivateScalar(point, scalar, "ecdsa");
    const signature = await ecdsaSign(privateKey, probe);
    return await ecdsaVerify(await importPublicPoint(point, "ecdsa"), signature, probe);
  } catch {
    return false;
  }
}

/** @returns {Promise<CryptoKeyPair>} */
export function generateEcdsaPair() {
  return subtle().generateKey(ECDSA_P256, true, ["sign", "verify"]);
}

/** @returns {Promise<CryptoKeyPair>} */
export function generateEcdhPair() {
  return subtle().generateKey(ECDH_P256, true, ["deriveBits"]);
}

/**
 * @param {CryptoKey} privateKey
 * @param {Uint8Array} message
 * @returns {Promise<Uint8Array>} r || s, 64 bytes (WebCrypto's own encoding)
 */
export async function ecdsaSign(privateKey, message) {
  return new Uint8Array(await subtle().sign(ECDSA_SHA256, privateKey, message));
}

/**
 * @param {CryptoKey} publicKey
 * @param {Uint8Array} signature r || s
 * @param {Uint8Array} message
 * @returns {Promise<boolean>}
 */
export async function ecdsaVerify(publicKey, signature, message) {
  if (signature.length !== SIGNATURE_LENGTH) {
    return false;
  }
  return subtle().verify(ECDSA_SHA256, publicKey, signature, message);
}
