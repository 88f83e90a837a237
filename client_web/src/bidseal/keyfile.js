/** The passphrase-encrypted private key file `bidder-key.json` (format section 1.2). */

import { b64uDecodeExact, b64uEncode, concatBytes, utf8 } from "./bytes.js";
import { KeyFileError } from "./errors.js";
import { hasExactMembers, isJsonObject, parseStrictJson, parseStrictJsonBytes } from "./strictjson.js";
import { bidderKeys } from "./keys.js";
import {
  POINT_LENGTH,
  SCALAR_LENGTH,
  aesGcmDecrypt,
  aesGcmEncrypt,
  exportPrivateScalar,
  importAesKey,
  importPrivateScalar,
  importPublicPoint,
  isKeyPair,
  pbkdf2Sha256,
  randomBytes,
} from "./primitives.js";

export const PRIVATE_KEY_FORMAT = "bidseal-private-key/1";
export const DEFAULT_ITERATIONS = 600_000;
export const MIN_ITERATIONS = 1_000;
export const MAX_ITERATIONS = 10_000_000;

const KDF_NAME = "PBKDF2-SHA256";
const CIPHER_NAME = "AES-256-GCM";
const SALT_LENGTH = 16;
const NONCE_LENGTH = 12;
const CIPHERTEXT_LENGTH = 2 * SCALAR_LENGTH + 16;
const KDF_MEMBERS = Object.freeze(["name", "iterations", "salt"]);
const CIPHER_MEMBERS = Object.freeze(["name", "nonce"]);

/**
 * @typedef {object} PrivateKeyFile
 * @property {string} format
 * @property {string} encryption_key
 * @property {string} signing_key
 * @property {{name: string, iterations: number, salt: string}} kdf
 * @property {{name: string, nonce: string}} cipher
 * @property {string} ciphertext
 */

/**
 * @param {string} passphrase
 * @returns {Uint8Array}
 */
function passphraseBytes(passphrase) {
  return utf8(passphrase.normalize("NFC"));
}

/**
 * @param {Uint8Array} encryptionPoint
 * @param {Uint8Array} signingPoint
 * @returns {Uint8Array}
 */
function keyFileAad(encryptionPoint, signingPoint) {
  return concatBytes(utf8(PRIVATE_KEY_FORMAT), encryptionPoint, signingPoint);
}

/**
 * @param {Uint8Array} password
 * @param {Uint8Array} salt
 * @param {number} iterations
 * @returns {Promise<CryptoKey>}
 */
async function wrapKey(password, salt, iterations) {
  return importAesKey(await pbkdf2Sha256(password, salt, iterations));
}

/**
 * Encrypts both private scalars under a passphrase.
 * @param {import("./keys.js").BidderKeys} keys
 * @param {string} passphrase NFC-normalised before use
 * @param {{iterations?: number}} [options]
 * @returns {Promise<PrivateKeyFile>} the JSON object to save as bidder-key.json
 */
export async function exportPrivateKeyFile(keys, passphrase, { iterations = DEFAULT_ITERATIONS } = {}) {
  if (typeof passphrase !== "string" || passphrase.length === 0) {
    throw new TypeError("the passphrase must be a non-empty string");
  }
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new RangeError(`iterations must be an integer from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`);
  }
  const salt = randomBytes(SALT_LENGTH);
  const nonce = randomBytes(NONCE_LENGTH);
  const plaintext = concatBytes(
    await exportPrivateScalar(keys.encryption.privateKey),
    await exportPrivateScalar(keys.signing.privateKey),
  );
  const key = await wrapKey(passphraseBytes(passphrase), salt, iterations);
  const ciphertext = await aesGcmEncrypt(
    key,
    nonce,
    plaintext,
    keyFileAad(keys.encryptionPoint, keys.signingPoint),
  );
  plaintext.fill(0);
  return {
    format: PRIVATE_KEY_FORMAT,
    encryption_key: b64uEncode(keys.encryptionPoint),
    signing_key: b64uEncode(keys.signingPoint),
    kdf: { name: KDF_NAME, iterations, salt: b64uEncode(salt) },
    cipher: { name: CIPHER_NAME, nonce: b64uEncode(nonce) },
    ciphertext: b64uEncode(ciphertext),
  };
}

/**
 * Checks the shape of a key file; every failure is the one KeyFileError.
 * @param {unknown} file
 */
function readKeyFileFields(file) {
  if (!isJsonObject(file) || file.format !== PRIVATE_KEY_FORMAT) {
    throw new KeyFileError();
  }
  const { kdf, cipher } = file;
  // Exactly these members inside kdf and cipher: an unknown one would be a
  // parameter this reader does not apply. Elsewhere other members are ignored.
  if (
    !hasExactMembers(kdf, KDF_MEMBERS) ||
    kdf.name !== KDF_NAME ||
    !hasExactMembers(cipher, CIPHER_MEMBERS) ||
    cipher.name !== CIPHER_NAME
  ) {
    throw new KeyFileError();
  }
  const iterations = kdf.iterations;
  if (
    typeof iterations !== "number" ||
    !Number.isInteger(iterations) ||
    iterations < MIN_ITERATIONS ||
    iterations > MAX_ITERATIONS
  ) {
    throw new KeyFileError();
  }
  try {
    return {
      encryptionPoint: b64uDecodeExact(file.encryption_key, POINT_LENGTH),
      signingPoint: b64uDecodeExact(file.signing_key, POINT_LENGTH),
      iterations,
      salt: b64uDecodeExact(kdf.salt, SALT_LENGTH),
      nonce: b64uDecodeExact(cipher.nonce, NONCE_LENGTH),
      ciphertext: b64uDecodeExact(file.ciphertext, CIPHERTEXT_LENGTH),
    };
  } catch {
    throw new KeyFileError();
  }
}

/**
 * Decrypts a key file. A wrong passphrase and a damaged file both raise
 * KeyFileError with the same message.
 * @param {PrivateKeyFile | string | Uint8Array} file the parsed JSON object,
 *   its text, or the file's bytes (which must be UTF-8 without a byte-order mark)
 * @param {string} passphrase NFC-normalised before use
 * @returns {Promise<import("./keys.js").BidderKeys>}
 * @throws {KeyFileError}
 */
export async function importPrivateKeyFile(file, passphrase) {
  if (typeof passphrase !== "string") {
    throw new TypeError("the passphrase must be a string");
  }
  let parsed = file;
  if (typeof file === "string" || file instanceof Uint8Array) {
    // No number but iterations, an integer: a Python reader sees 1000.0 as a float.
    const options = { integersOnly: true };
    try {
      parsed = typeof file === "string" ? parseStrictJson(file, options) : parseStrictJsonBytes(file, options);
    } catch {
      throw new KeyFileError();
    }
  }
  const fields = readKeyFileFields(parsed);
  let plaintext;
  try {
    const key = await wrapKey(passphraseBytes(passphrase), fields.salt, fields.iterations);
    plaintext = await aesGcmDecrypt(
      key,
      fields.nonce,
      fields.ciphertext,
      keyFileAad(fields.encryptionPoint, fields.signingPoint),
    );
  } catch {
    throw new KeyFileError();
  }
  try {
    const encScalar = plaintext.subarray(0, SCALAR_LENGTH);
    const sigScalar = plaintext.subarray(SCALAR_LENGTH);
    if (
      !(await isKeyPair(fields.encryptionPoint, encScalar)) ||
      !(await isKeyPair(fields.signingPoint, sigScalar))
    ) {
      throw new KeyFileError();
    }
    const encryption = {
      privateKey: await importPrivateScalar(fields.encryptionPoint, encScalar, "ecdh"),
      publicKey: await importPublicPoint(fields.encryptionPoint, "ecdh"),
    };
    const signing = {
      privateKey: await importPrivateScalar(fields.signingPoint, sigScalar, "ecdsa"),
      publicKey: await importPublicPoint(fields.signingPoint, "ecdsa"),
    };
    return bidderKeys(encryption, signing, fields.encryptionPoint, fields.signingPoint);
  } catch {
    throw new KeyFileError();
  } finally {
    plaintext.fill(0);
  }
}
