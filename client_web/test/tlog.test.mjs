// The browser's log checks (static/js/tlog/) against the same known answers as the Python
// ones (tests/tlog/test_merkle_vectors.py): transparency-dev/merkle's data at
// ../shared/testdata/merkle beside the project. Every wantErr case must be refused.

import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { LogError } from "../static/js/tlog/errors.js";
import { leafHash, treeRoot, verifyConsistency, verifyInclusion } from "../static/js/tlog/merkle.js";
import { b64decode, parseCheckpoint, parseNote, parseVkey } from "../static/js/tlog/note.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const MERKLE = path.join(ROOT, "..", "shared", "testdata", "merkle");

function cases(kind) {
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".json")) found.push([path.relative(MERKLE, full), JSON.parse(readFileSync(full, "utf8"))]);
    }
  };
  walk(path.join(MERKLE, kind));
  return found;
}

const raw = (text) => Uint8Array.from(Buffer.from(text ?? "", "base64"));
const hexBytes = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));

async function outcome(check) {
  try {
    await check();
    return "accepted";
  } catch (error) {
    if (error instanceof LogError) return "refused";
    throw error;
  }
}

describe("RFC 6962 known answers (transparency-dev/merkle)", () => {
  test("the data is there", () => {
    assert.ok(existsSync(MERKLE), `the known-answer data is missing at ${MERKLE}`);
    assert.ok(cases("inclusion").length > 50);
    assert.ok(cases("consistency").length > 50);
  });

  test("reference tree roots", async () => {
    const ref = JSON.parse(readFileSync(path.join(MERKLE, "reference-tree.json"), "utf8"));
    const leaves = await Promise.all(ref.leaf_inputs_hex.map((h) => leafHash(hexBytes(h))));
    for (const [size, root] of ref.root_hashes_hex_by_tree_size.entries()) {
      assert.deepEqual(await treeRoot(leaves.slice(0, size)), hexBytes(root), `size ${size}`);
    }
  });

  test("every inclusion case", async () => {
    for (const [name, c] of cases("inclusion")) {
      const got = await outcome(() => verifyInclusion(raw(c.leafHash), c.leafIdx, c.treeSize, (c.proof ?? []).map(raw), raw(c.root)));
      assert.equal(got, c.wantErr ? "refused" : "accepted", name);
    }
  });

  test("every consistency case", async () => {
    for (const [name, c] of cases("consistency")) {
      const got = await outcome(() => verifyConsistency(c.size1, c.size2, (c.proof ?? []).map(raw), raw(c.root1), raw(c.root2)));
      assert.equal(got, c.wantErr ? "refused" : "accepted", name);
    }
  });
});

describe("notes and keys", () => {
  test("base64 is strict and canonical", () => {
    assert.deepEqual(b64decode("AAE="), Uint8Array.of(0, 1));
    assert.throws(() => b64decode("AAF="), /not canonical base64/);
    assert.throws(() => b64decode("AA E="), /not base64/);
  });
  test("a verifier key whose id does not match is refused", async () => {
    const key = `kaibiao.example.cn/log+00000000+${Buffer.alloc(33, 1).toString("base64")}`;
    await assert.rejects(parseVkey(key), /id does not match/);
    await assert.rejects(parseVkey("name+0000+AQ=="), /name\+keyid\+base64/);
  });
  test("a note needs a blank line and a signature", () => {
    assert.throws(() => parseNote("origin\n1\n"), /no blank line/);
    assert.throws(() => parseNote("origin\n1\n\n"), /no signature/);
  });
  test("a checkpoint body is origin, size and root only", () => {
    const root = Buffer.alloc(32).toString("base64");
    assert.equal(parseCheckpoint(new TextEncoder().encode(`o\n12\n${root}\n`)).size, 12);
    assert.throws(() => parseCheckpoint(new TextEncoder().encode(`o\n012\n${root}\n`)), /not a decimal/);
    assert.throws(() => parseCheckpoint(new TextEncoder().encode(`o\n1\n${root}\next\n`)), /exactly origin/);
  });
});
