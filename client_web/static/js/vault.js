// What this browser keeps for its bidders (IndexedDB): encrypted key files and their own sealed bids.

const DB_NAME = "bidopen";
const DB_VERSION = 1;
const KEY_FILES = "key-files";
const SEALED_BIDS = "sealed-bids";

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.addEventListener("upgradeneeded", () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(KEY_FILES)) db.createObjectStore(KEY_FILES, { keyPath: "bidderId" });
      if (!db.objectStoreNames.contains(SEALED_BIDS)) db.createObjectStore(SEALED_BIDS, { keyPath: "bidSha256" });
    });
    request.addEventListener("success", () => resolve(request.result));
    request.addEventListener("error", () => reject(request.error));
  });
}

/** Run one request in its own transaction; resolves once the transaction has committed. */
async function run(storeName, mode, makeRequest) {
  const db = await openDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      const request = makeRequest(tx.objectStore(storeName));
      tx.addEventListener("complete", () => resolve(request.result));
      tx.addEventListener("error", () => reject(tx.error));
      tx.addEventListener("abort", () => reject(tx.error ?? new Error("IndexedDB transaction aborted")));
    });
  } finally {
    db.close();
  }
}

/**
 * Keep a bidder's key file (the text of bidder-key.json, still encrypted
 * under the passphrase) with the bidder id and organisation it belongs to.
 */
export function saveKeyFile({ bidderId, orgName, keyFileText }) {
  const record = { bidderId, orgName, keyFileText, savedAt: new Date().toISOString() };
  return run(KEY_FILES, "readwrite", (store) => store.put(record)).then(() => record);
}

export function loadKeyFile(bidderId) {
  return run(KEY_FILES, "readonly", (store) => store.get(bidderId));
}

export function listKeyFiles() {
  return run(KEY_FILES, "readonly", (store) => store.getAll());
}

export function forgetKeyFile(bidderId) {
  return run(KEY_FILES, "readwrite", (store) => store.delete(bidderId));
}

/**
 * Keep a sealed file this browser made, so that at the opening the data key
 * can be unwrapped from it without asking for the file again. The Blob is
 * stored by the browser on disk, not in memory.
 */
export function saveSealedBid({ bidSha256, tender, lot, bidder, blob }) {
  const record = { bidSha256, tender, lot, bidder, blob, savedAt: new Date().toISOString() };
  return run(SEALED_BIDS, "readwrite", (store) => store.put(record)).then(() => record);
}

export function loadSealedBid(bidSha256) {
  return run(SEALED_BIDS, "readonly", (store) => store.get(bidSha256));
}
