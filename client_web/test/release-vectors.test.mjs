// The bidder room's key-release rule (static/js/bidder/release.js) against the vectors the
// Python rule wrote (tests/vectors/release, tests/vectors/make_release_vectors.py): the same
// deadlines and opening instant, or the same refusal code, in every case.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { instantMs } from "../static/js/clock.js";
import { ReleaseRefused, bidDocument, chosenBid, checkTime, deadlineStatement, planRelease, postponement } from "../static/js/bidder/release.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const VECTORS = JSON.parse(readFileSync(path.join(ROOT, "tests", "vectors", "release", "release-rule-v1.json"), "utf8"));

function decide(c) {
  try {
    const kept = c.documents.map((d) => bidDocument(d.type, d.payload, d.key));
    const notices = c.notices.map((n) => postponement(n.payload, n.key));
    const statement = c.statement === null ? null : deadlineStatement(c.statement.payload, c.statement.key);
    const { tender, lot, bidder, sealed_sha256: sealedSha256 } = c.open;
    const receipt = chosenBid(kept, { tender, lot, bidder, sealedSha256 });
    const plan = planRelease(receipt, notices, { stated: c.stated, statement, nonce: c.nonce });
    checkTime(plan, instantMs(c.now));
    return { deadline: plan.deadline, signed: plan.signed, opens_at: plan.opensAt };
  } catch (error) {
    if (error instanceof ReleaseRefused) return { refused: error.code };
    throw error;
  }
}

describe("release rule vectors: the room decides as the Python client", () => {
  test("there are cases", () => assert.ok(VECTORS.cases.length >= 20));
  for (const c of VECTORS.cases) {
    test(c.name, () => {
      const expected = "refused" in c.expect
        ? c.expect
        : Object.fromEntries(Object.entries(c.expect).map(([k, v]) => [k, instantMs(v)]));
      assert.deepEqual(decide(c), expected);
    });
  }
});
