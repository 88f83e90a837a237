// Python's rules for text that the session core's twin must keep to give Python's answers:
// length and order by code point (not UTF-16 unit), str.isspace and strip, str() and repr()
// of a JSON value, int() of a decimal string, and Unicode decimal digits (Python's \d).

/** The code points of `text` (a lone surrogate is one, as in Python). */
export const codePoints = (text) => Array.from(text);

/** len(text) in Python. */
export const pyLen = (text) => codePoints(text).length;

/** Python's order of two strings: code point by code point. */
export function compareText(a, b) {
  const x = codePoints(a);
  const y = codePoints(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

// str.isspace(): bidirectional class WS, B or S, or category Zs (JS's trim differs: it takes
// U+FEFF and leaves U+001C..U+001F and U+0085).
const SPACES = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
for (let c = 0x2000; c <= 0x200a; c += 1) SPACES.add(c);

export const isSpace = (ch) => SPACES.has(ch.codePointAt(0));

/** text.strip() in Python. */
export function strip(text) {
  const cps = codePoints(text);
  let start = 0;
  let end = cps.length;
  while (start < end && isSpace(cps[start])) start += 1;
  while (end > start && isSpace(cps[end - 1])) end -= 1;
  return cps.slice(start, end).join("");
}

const DECIMAL = /^\p{Nd}$/u;

/** The value 0..9 of a Unicode decimal digit (each script's digits run 0 to 9 in a row). */
export function digitValue(ch) {
  let start = ch.codePointAt(0);
  while (DECIMAL.test(String.fromCodePoint(start - 1))) start -= 1;
  return (ch.codePointAt(0) - start) % 10;
}

/** int(text) of a decimal literal, as a BigInt; Python's ValueError text otherwise. */
export function pyInt(text) {
  const body = strip(text);
  const cps = codePoints(body);
  let i = 0;
  let negative = false;
  if (cps[0] === "+" || cps[0] === "-") {
    negative = cps[0] === "-";
    i = 1;
  }
  let value = 0n;
  let digits = 0;
  let underscore = false;
  for (; i < cps.length; i += 1) {
    if (cps[i] === "_" && digits > 0 && !underscore) {
      underscore = true;
      continue;
    }
    if (!DECIMAL.test(cps[i])) break;
    value = value * 10n + BigInt(digitValue(cps[i]));
    digits += 1;
    underscore = false;
  }
  if (digits === 0 || underscore || i !== cps.length) {
    throw new Error(`invalid literal for int() with base 10: ${pyRepr(text)}`);
  }
  return negative ? -value : value;
}

// Characters str.isprintable() refuses (U+0020 aside): repr() escapes them.
const UNPRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function reprText(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code < 0x7f || ch === " " || !UNPRINTABLE.test(ch)) out += ch;
    else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return out + quote;
}

/** repr() of a JSON value as Python loads it. */
export function pyRepr(value) {
  if (typeof value === "string") return reprText(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${reprText(k)}: ${pyRepr(v)}`).join(", ")}}`;
  }
  return pyStr(value);
}

/** str() of a JSON value as Python loads it. */
export function pyStr(value) {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  return pyRepr(value);
}
