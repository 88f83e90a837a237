/** Byte-level encodings of the format: base64url, hex, UTF-8, big-endian integers, lp(). */

const B64U_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64U_VALUES = new Map([...B64U_ALPHABET].map((c, i) => [c, i]));

const utf8Encoder = new TextEncoder();
// fatal: a byte sequence that is not UTF-8 is an error, never U+FFFD, so two
// readers never disagree about what a damaged string says.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// With the u flag a surrogate pair is one code point, so this matches only
// lone surrogates, which have no UTF-8 encoding.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * base64url without padding (RFC 4648 section 5).
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function b64uEncode(bytes) {
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64U_ALPHABET[n >> 18] + B64U_ALPHABET[(n >> 12) & 63];
    out += B64U_ALPHABET[(n >> 6) & 63] + B64U_ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64U_ALPHABET[n >> 18] + B64U_ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64U_ALPHABET[n >> 18] + B64U_ALPHABET[(n >> 12) & 63] + B64U_ALPHABET[(n >> 6) & 63];
  }
  return out;
}

/**
 * Strict base64url decoding: no padding, no whitespace, no other alphabet, and
 * the unused low bits of the last character must be zero, so that every byte
 * string has exactly one accepted spelling.
 * @param {string} text
 * @returns {Uint8Array}
 * @throws {SyntaxError}
 */
export function b64uDecode(text) {
  if (typeof text !== "string" || text.length % 4 === 1) {
    throw new SyntaxError("not base64url");
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const c of text) {
    const v = B64U_VALUES.get(c);
    if (v === undefined) {
      throw new SyntaxError("not base64url");
    }
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) {
    throw new SyntaxError("not canonical base64url");
  }
  return out;
}

/**
 * base64url decoding that also requires an exact length.
 * @param {unknown} text
 * @param {number} length
 * @returns {Uint8Array}
 */
export function b64uDecodeExact(text, length) {
  if (typeof text !== "string") {
    throw new SyntaxError("not base64url");
  }
  const bytes = b64uDecode(text);
  if (bytes.length !== length) {
    throw new SyntaxError(`expected ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/**
 * @param {Uint8Array} bytes
 * @returns {string} lowercase hexadecimal
 */
export function hex(bytes) {
  let out = "";
  for (const b of bytes) {
    out += b.toString(16).padStart(2, "0");
  }
  return out;
}

/**
 * @param {string} text
 * @returns {Uint8Array}
 */
export function utf8(text) {
  if (LONE_SURROGATE.test(text)) {
    // TextEncoder would silently write U+FFFD; refuse instead.
    throw new TypeError("text contains a lone surrogate and has no UTF-8 form");
  }
  return utf8Encoder.encode(text);
}

/**
 * @param {Uint8Array} bytes
 * @returns {string}
 * @throws {TypeError} when the bytes are not UTF-8
 */
export function fromUtf8(bytes) {
  return utf8Decoder.decode(bytes);
}

/**
 * @param {string} text
 * @returns {boolean} whether text has a UTF-8 form
 */
export function isWellFormed(text) {
  return !LONE_SURROGATE.test(text);
}

/**
 * @param {number} n
 * @returns {Uint8Array}
 */
export function u16(n) {
  return new Uint8Array([(n >>> 8) & 0xff, n & 0xff]);
}

/**
 * @param {number} n
 * @returns {Uint8Array}
 */
export function u32(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/**
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @returns {number}
 */
export function readU32(bytes, offset) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

/**
 * lp(s) = u16(len(utf8(s))) || utf8(s)
 * @param {string} text
 * @returns {Uint8Array}
 */
export function lp(text) {
  const bytes = utf8(text);
  if (bytes.length > 0xffff) {
    throw new RangeError("string too long for lp()");
  }
  return concatBytes(u16(bytes.length), bytes);
}

/**
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concatBytes(...parts) {
  let total = 0;
  for (const p of parts) {
    total += p.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {boolean}
 */
export function equalBytes(a, b) {
  if (a.length !== b.length) {
    return false;
  }
  // Compared in full every time: callers use this on secrets too.
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    diff |= a[i] ^ b[i];
  }
  return diff === 0;
}
