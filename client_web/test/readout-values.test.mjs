import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

import {
  amountInCapitals,
  conforms,
  exceedsCeiling,
  formatAmount,
  normalize,
} from "../static/js/readout-values.js";

const vectors = JSON.parse(
  await readFile(new URL("../../tests/vectors/readout/readout-values-v1.json", import.meta.url), "utf8"),
);

test("amounts are separated and written in capitals as in Python", () => {
  for (const { amount, separated, capitals } of vectors.amounts) {
    assert.equal(formatAmount(amount), separated, amount);
    assert.equal(amountInCapitals(amount), capitals, amount);
  }
});

test("typed values are sealed or refused as in Python", () => {
  for (const { type, input, max_length: maxLength, sealed, refused } of vectors.typed) {
    if (refused) {
      assert.throws(() => normalize(type, input, maxLength), { message: refused }, input);
    } else {
      assert.equal(normalize(type, input, maxLength), sealed, input);
      assert.ok(conforms(type, sealed, maxLength), sealed);
    }
  }
});

test("a ceiling compares amounts to the cent", () => {
  assert.equal(exceedsCeiling("8650000.01", "8650000.00"), true);
  assert.equal(exceedsCeiling("8650000.00", "8650000.00"), false);
  assert.equal(exceedsCeiling("999.99", null), false);
});
