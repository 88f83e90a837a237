// Fetching a signed document the hub published (opening record, result) and checking it here.

import { verifySignedDocument } from "/static/vendor/bidseal.bundle.js";

let serverKey = null;

/** The server's public signing key (b64u point), fetched once per page. */
export async function trustedServerKey(api) {
  serverKey ??= api.get("/api/server-key").then(
    (description) => description.key,
    (error) => {
      // A failed fetch is not remembered: the next document asks again.
      serverKey = null;
      throw error;
    },
  );
  return serverKey;
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Fetch a signed document, verify its signature against the server key and
 * its payload hash against `expectedSha256` (the hash the session log
 * announced). Returns `{text, payload, sha256, verified, error}`: a document
 * that fails a check is still returned (with `verified: false`) so the page
 * can say so instead of hiding it.
 */
export async function loadSignedDocument(api, path, type, expectedSha256 = null) {
  const response = await api.request("GET", path, { raw: true });
  const text = await response.text();
  let envelope;
  try {
    envelope = JSON.parse(text);
  } catch {
    return { text, payload: null, sha256: null, verified: false, error: "not JSON" };
  }
  const sha256 = typeof envelope.payload === "string" ? await sha256Hex(envelope.payload) : null;
  try {
    // The text, not the object: the verifier reads it under the JSON profile itself.
    const payload = await verifySignedDocument(text, type, await trustedServerKey(api));
    const hashMatches = expectedSha256 === null || expectedSha256 === sha256;
    return { text, payload, sha256, verified: hashMatches, error: hashMatches ? null : "hash mismatch" };
  } catch (error) {
    let payload = null;
    try {
      payload = JSON.parse(envelope.payload);
    } catch {
      // Unreadable and unverified: the page shows the failure only.
    }
    return { text, payload, sha256, verified: false, error: error.message };
  }
}

/** The opening record of a session, checked against the hash its log announced. */
export function loadPublishedRecord(api, sessionId, expectedSha256 = null) {
  return loadSignedDocument(
    api,
    `/api/sessions/${encodeURIComponent(sessionId)}/record`,
    "opening-record",
    expectedSha256,
  );
}
