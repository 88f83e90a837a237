import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { b64uDecode, b64uEncode, hex } from "../src/bidseal/bytes.js";
import { parseStrictJson } from "../src/bidseal/strictjson.js";

describe("base64url", () => {
  test("known answers (RFC 4648 section 10, url alphabet, no padding)", () => {
    const cases = [
      ["", ""],
      ["f", "Zg"],
      ["fo", "Zm8"],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg"],
      ["fooba", "Zm9vYmE"],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, encoded] of cases) {
      assert.equal(b64uEncode(new TextEncoder().encode(plain)), encoded);
      assert.equal(new TextDecoder().decode(b64uDecode(encoded)), plain);
    }
    assert.equal(b64uEncode(new Uint8Array([0xfb, 0xff])), "-_8");
  });

  test("every length round-trips", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      assert.deepEqual(b64uDecode(b64uEncode(bytes)), bytes);
    }
  });

  test("padding, the standard alphabet, whitespace, a lone character and non-zero spare bits are refused", () => {
    for (const bad of ["Zg==", "Zm8=", "+/8", "Zm9 v", "Z", "Zh", "Zm-"]) {
      assert.throws(() => b64uDecode(bad), SyntaxError, bad);
    }
  });
});

describe("strict JSON", () => {
  test("gives what JSON.parse gives", () => {
    for (const text of [
      '{"a":"b","c":[1,2.5,-3e2,true,false,null],"d":{"e":"\\u4e2d\\ud83d\\ude00\\n"}}',
      "  [ ]  ",
      '"\\/\\b\\f\\r\\t\\\\\\""',
      '{"__proto__":{"x":1}}',
    ]) {
      assert.deepEqual(parseStrictJson(text), JSON.parse(text));
    }
    assert.ok(Object.hasOwn(/** @type {object} */ (parseStrictJson('{"__proto__":1}')), "__proto__"));
  });

  test("refuses duplicate names at any depth", () => {
    assert.throws(() => parseStrictJson('{"a":1,"a":1}'), SyntaxError);
    assert.throws(() => parseStrictJson('{"x":[{"a":1,"\\u0061":2}]}'), SyntaxError);
  });

  test("refuses what JSON.parse refuses", () => {
    for (const text of ["", "{", '{"a":1,}', "[1,]", "01", "1.", "NaN", '"\u0001"', "{} {}", "'a'", '"\\x"']) {
      assert.throws(() => JSON.parse(text), SyntaxError);
      assert.throws(() => parseStrictJson(text), SyntaxError, text);
    }
  });

  test("hex is lowercase", () => {
    assert.equal(hex(new Uint8Array([0, 0xab, 0x0f])), "00ab0f");
  });
});
