/** A JSON parser that refuses duplicate member names, for texts whose meaning must not depend on the parser. */

// JSON.parse keeps the last of two equal member names; other parsers keep the
// first or refuse. A read-out price or a receipt field must mean the same to
// every reader, so summaries and signed payloads are parsed here, where a
// duplicate name at any depth is an error. Everything else is RFC 8259,
// giving the same values as JSON.parse.

const MAX_DEPTH = 256;
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/;
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
        return out;
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
    if (depth > MAX_DEPTH) {
      return fail();
    }
    skipWhitespace();
    const c = text[pos];
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
    const match = NUMBER.exec(text.slice(pos, pos + 400));
    if (match === null) {
      return fail();
    }
    if (integersOnly && /[.eE]/.test(match[0])) {
      return fail();
    }
    pos += match[0].length;
    return Number(match[0]);
  };

  const value = readValue(0);
  skipWhitespace();
  if (pos !== text.length) {
    fail();
  }
  return value;
}
