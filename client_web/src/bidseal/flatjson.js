/** A strict parser for flat JSON objects whose values are strings or integers (the sealed-file header). */

// JSON.parse is too lenient for a signed header: it reads 1.0 and 1e0 as the
// integer 1 and keeps the last of two equal member names, where other readers
// see a float or refuse. This parser accepts exactly: one object, string
// member names, no duplicates, values that are strings or integers without
// fraction or exponent. Anything else is "not a header", which is what every
// reader concludes about such input anyway.

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const SIMPLE_ESCAPES = new Map([
  ['"', '"'],
  ["\\", "\\"],
  ["/", "/"],
  ["b", "\b"],
  ["f", "\f"],
  ["n", "\n"],
  ["r", "\r"],
  ["t", "\t"],
]);
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const INTEGER = /^-?(?:0|[1-9][0-9]*)/;

export class FlatJsonError extends Error {}

/**
 * @param {string} text
 * @returns {Map<string, string | number>} members in document order
 * @throws {FlatJsonError}
 */
export function parseFlatObject(text) {
  let pos = 0;

  const fail = () => {
    throw new FlatJsonError(`not a flat JSON object (at offset ${pos})`);
  };
  const skipWhitespace = () => {
    while (pos < text.length && WHITESPACE.has(text[pos])) {
      pos++;
    }
  };
  const expect = (/** @type {string} */ c) => {
    if (text[pos] !== c) {
      fail();
    }
    pos++;
  };

  const readString = () => {
    expect('"');
    let out = "";
    for (;;) {
      if (pos >= text.length) {
        fail();
      }
      const c = text[pos];
      if (c === '"') {
        pos++;
        return out;
      }
      if (c === "\\") {
        const e = text[pos + 1];
        const simple = SIMPLE_ESCAPES.get(e);
        if (simple !== undefined) {
          out += simple;
          pos += 2;
        } else if (e === "u" && HEX4.test(text.slice(pos + 2, pos + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(pos + 2, pos + 6), 16));
          pos += 6;
        } else {
          fail();
        }
      } else if (c.charCodeAt(0) < 0x20) {
        fail();
      } else {
        out += c;
        pos++;
      }
    }
  };

  const readValue = () => {
    if (text[pos] === '"') {
      return readString();
    }
    const match = INTEGER.exec(text.slice(pos, pos + 32));
    if (match === null) {
      fail();
    }
    const digits = /** @type {RegExpExecArray} */ (match)[0];
    pos += digits.length;
    if (pos < text.length && ".eE0123456789".includes(text[pos])) {
      // A fraction or exponent makes it a float; more than 31 digits is
      // beyond any range the header allows.
      fail();
    }
    return Number(digits);
  };

  /** @type {Map<string, string | number>} */
  const members = new Map();
  skipWhitespace();
  expect("{");
  skipWhitespace();
  if (text[pos] === "}") {
    pos++;
  } else {
    for (;;) {
      skipWhitespace();
      const name = readString();
      if (members.has(name)) {
        fail();
      }
      skipWhitespace();
      expect(":");
      skipWhitespace();
      members.set(name, readValue());
      skipWhitespace();
      if (text[pos] === ",") {
        pos++;
        continue;
      }
      expect("}");
      break;
    }
  }
  skipWhitespace();
  if (pos !== text.length) {
    fail();
  }
  return members;
}
