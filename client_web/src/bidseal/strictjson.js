/** The format's JSON profile (format section 0.1): the one strict reader of every JSON text. */

// JSON.parse keeps the last of two equal member names; other parsers keep the
// first or refuse. A read-out price or a receipt field must mean the same to
// every reader, so every JSON text of the format is parsed here, under the
// same rules as the Python reader (bidseal/strictjson.py): no duplicate
// names, integers within ±(2^53 - 1), other numbers finite, no lone
// surrogates, at most MAX_DEPTH nested arrays and objects, and the integer
// -0 read as 0 (Python's reading; -0.0 stays the double -0). Everything else
// is RFC 8259, giving the same values as JSON.parse.

import { fromUtf8, isWellFormed } from "./bytes.js";

export const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const ESCAPES = new Map([
  ['"', '"'],
  ["\\", "\\"],
  ["/", "/"],
  ["b", "\b"],
  ["f", "\f"],
  ["n", "\n"],
  ["r", "\r"],
  ["t", "\t"],
]);

export class StrictJsonError extends SyntaxError {}

/**
 * @param {string} text
 * @param {{integersOnly?: boolean}} [options] integersOnly: refuse a number
 *   with a fraction or exponent (1.0, 1e0), which JSON.parse would turn into
 *   the integer 1 where other readers see a float
 * @returns {unknown}
 * @throws {StrictJsonError}
 */
export function parseStrictJson(text, { integersOnly = false } = {}) {
  let pos = 0;

  /** @returns {never} */
  const fail = () => {
    throw new StrictJsonError(`invalid or ambiguous JSON at offset ${pos}`);
  };
  const skipWhitespace = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
        pos++;
      } else {
        return;
      }
    }
  };
  const literal = (/** @type {string} */ word, /** @type {unknown} */ value) => {
    if (text.startsWith(word, pos)) {
      pos += word.length;
      return value;
    }
    return fail();
  };

  const readString = () => {
    pos++; // the opening quote
    let out = "";
    let runStart = pos;
    for (;;) {
      if (pos >= text.length) {
        return fail();
      }
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(runStart, pos);
        pos++;
        // A lone surrogate has no UTF-8 form; Python would hold it as a str
        // that cannot be written back.
        return isWellFormed(out) ? out : fail();
      }
      if (c === 0x5c) {
        out += text.slice(runStart, pos);
        const e = text[pos + 1];
        const simple = ESCAPES.get(e);
        if (simple !== undefined) {
          out += simple;
          pos += 2;
        } else if (e === "u" && HEX4.test(text.slice(pos + 2, pos + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(pos + 2, pos + 6), 16));
          pos += 6;
        } else {
          return fail();
        }
        runStart = pos;
      } else if (c < 0x20) {
        return fail();
      } else {
        pos++;
      }
    }
  };

  /**
   * @param {number} depth
   * @returns {unknown}
   */
  const readValue = (depth) => {
    skipWhitespace();
    const c = text[pos];
    if ((c === "{" || c === "[") && depth >= MAX_DEPTH) {
      return fail();
    }
    if (c === "{") {
      pos++;
      /** @type {Record<string, unknown>} */
      const object = {};
      const names = new Set();
      skipWhitespace();
      if (text[pos] === "}") {
        pos++;
        return object;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') {
          return fail();
        }
        const name = readString();
        if (names.has(name)) {
          return fail();
        }
        names.add(name);
        skipWhitespace();
        if (text[pos] !== ":") {
          return fail();
        }
        pos++;
        // defineProperty, as JSON.parse does: plain assignment of "__proto__"
        // would set the prototype instead of a member.
        Object.defineProperty(object, name, {
          value: readValue(depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
        } else if (text[pos] === "}") {
          pos++;
          return object;
        } else {
          return fail();
        }
      }
    }
    if (c === "[") {
      pos++;
      /** @type {unknown[]} */
      const array = [];
      skipWhitespace();
      if (text[pos] === "]") {
        pos++;
        return array;
      }
      for (;;) {
        array.push(readValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
        } else if (text[pos] === "]") {
          pos++;
          return array;
        } else {
          return fail();
        }
      }
    }
    if (c === '"') {
      return readString();
    }
    if (c === "t") {
      return literal("true", true);
    }
    if (c === "f") {
      return literal("false", false);
    }
    if (c === "n") {
      return literal("null", null);
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (match === null) {
      return fail();
    }
    const number = Number(match[0]);
    if (/[.eE]/.test(match[0])) {
      // JSON.parse would turn 1.0 into the integer 1 where Python sees a
      // float, and 1e400 into Infinity where Python must refuse it too.
      if (integersOnly || !Number.isFinite(number)) {
        return fail();
      }
    } else if (!Number.isSafeInteger(number)) {
      // Beyond 2^53 this reader would round where Python keeps every digit.
      return fail();
    } else if (number === 0) {
      // The integer -0 is the integer 0, as Python reads it (section 0.1);
      // only a number with a fraction or exponent (-0.0) is the double -0.
      pos += match[0].length;
      return 0;
    }
    pos += match[0].length;
    return number;
  };

  const value = readValue(0);
  skipWhitespace();
  if (pos !== text.length) {
    fail();
  }
  return value;
}

/**
 * Parses stored bytes: UTF-8 (fatal on bad sequences) with the byte-order
 * mark kept as a character, which the grammar then refuses.
 * @param {Uint8Array} bytes
 * @param {{integersOnly?: boolean}} [options] as for parseStrictJson
 * @returns {unknown}
 * @throws {StrictJsonError}
 */
export function parseStrictJsonBytes(bytes, options) {
  let text;
  try {
    text = fromUtf8(bytes);
  } catch {
    throw new StrictJsonError("not UTF-8");
  }
  return parseStrictJson(text, options);
}

/**
 * A JSON object (not an array, not null).
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isJsonObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A JSON object with exactly these member names, no more and no fewer.
 * @param {unknown} value
 * @param {readonly string[]} names
 * @returns {value is Record<string, unknown>}
 */
export function hasExactMembers(value, names) {
  return (
    isJsonObject(value) &&
    Object.keys(value).length === names.length &&
    names.every((name) => Object.hasOwn(value, name))
  );
}
