// The hashes the verifiers compare: hex SHA-256 of a text (WebCrypto), and the canonical JSON
// the hub hashes event payloads as (bidopen.store.eventlog.canonical_json).

/** @param {string | Uint8Array} data */
export async function sha256Hex(data) {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Sorted keys, no spaces, non-ASCII as is. */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What a bidder's confirmation is about: the read-out's SHA-256 (bidseal statements). */
export function readoutSha256(readout) {
  return sha256Hex(canonicalJson(readout ?? null));
}
