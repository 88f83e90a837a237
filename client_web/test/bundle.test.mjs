import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import { buildBundles } from "../build.mjs";

const VENDOR = fileURLToPath(new URL("../static/vendor/", import.meta.url));
const BUNDLES = ["bidseal.bundle.js", "socket.io.bundle.js", "video.bundle.js"];

describe("the committed browser bundles", () => {
  /** @type {string} */
  let fresh;
  before(async () => {
    fresh = await mkdtemp(path.join(tmpdir(), "bidseal-bundle-"));
    await buildBundles(fresh);
  });
  after(async () => {
    await rm(fresh, { recursive: true, force: true });
  });

  for (const name of BUNDLES) {
    test(`${name} is exactly what npm run build makes (run it and commit if this fails)`, async () => {
      const committed = await readFile(path.join(VENDOR, name));
      const rebuilt = await readFile(path.join(fresh, name));
      assert.ok(committed.equals(rebuilt), `${name} differs from a fresh build`);
    });
  }

  test("the bundles load nothing from outside the server", async () => {
    for (const name of BUNDLES) {
      const text = await readFile(path.join(VENDOR, name), "utf8");
      assert.doesNotMatch(text, /^\s*import\s.*from\s/m, `${name} has a static import`);
      // The one dynamic import is @hpke's node:crypto fallback for Node <= 18.
      // Lines of JSDoc (" * @param {import(...)}") are comments, not imports.
      const code = text.split("\n").filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line));
      const dynamic = code.flatMap((line) => [...line.matchAll(/\bimport\(\s*"([^"]*)"\s*\)/g)].map((m) => m[1]));
      assert.ok(dynamic.every((target) => target === "crypto"), `${name}: ${dynamic}`);
    }
  });

  test("the bidseal bundle seals and opens like the sources", async () => {
    const bundle = await import(pathToFileURL(path.join(VENDOR, "bidseal.bundle.js")).href);
    const keys = await bundle.generateKeys();
    const document = new Uint8Array([1, 2, 3, 4, 5]);
    const context = { tender: "T", lot: "L", bidder: "B" };
    const result = await bundle.seal({ document, keys, context, summary: { items: { price: "1" } } });
    const file = new Uint8Array(await new Blob(result.parts).arrayBuffer());
    const opened = await bundle.openWithKeys(file, keys, context);
    assert.deepEqual(opened.document, document);
    assert.equal(opened.bidSha256, result.bidSha256);
  });

  test("the socket.io bundle exports io", async () => {
    const bundle = await import(pathToFileURL(path.join(VENDOR, "socket.io.bundle.js")).href);
    assert.equal(typeof bundle.io, "function");
    assert.deepEqual(Object.keys(bundle), ["io"]);
  });
});
