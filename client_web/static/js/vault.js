// What this browser keeps for its bidders (IndexedDB): encrypted key files, their own sealed
// bids, and every signed receipt and withdrawal the room received (the room decides from
// these alone when a data key may leave: static/js/bidder/release.js).

const DB_NAME = "bidopen";
const DB_VERSION = 2;
const KEY_FILES = "key-files";
const SEALED_BIDS = "sealed-bids";
const BID_DOCUMENTS = "bid-documents";

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.addEventListener("upgradeneeded", () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(KEY_FILES)) db.createObjectStore(KEY_FILES, { keyPath: "bidderId" });
      if (!db.objectStoreNames.contains(SEALED_BIDS)) db.createObjectStore(SEALED_BIDS, { keyPath: "bidSha256" });
      if (!db.objectStoreNames.contains(BID_DOCUMENTS)) db.createObjectStore(BID_DOCUMENTS, { keyPath: "id" });
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
  const record = { bidSha256, tender, lot, bidder, blob, ended: null, savedAt: new Date().toISOString() };
  return run(SEALED_BIDS, "readwrite", (store) => store.put(record)).then(() => record);
}

export function loadSealedBid(bidSha256) {
  return run(SEALED_BIDS, "readonly", (store) => store.get(bidSha256));
}

/**
 * Keep a receipt or withdrawal (its signed envelope, as text) that the room verified with
 * the server key when it arrived. Kept for good: a withdrawal that was forgotten could let a
 * withdrawn bid be opened. Keeping the same document twice changes nothing. A sealed file
 * whose bid this document replaces or withdraws is marked `ended`, and is never opened.
 */
export async function keepBidDocument({ type, tender, lot, bidder, bidSha256, at, envelope }) {
  const id = `${type}:${tender}:${lot}:${bidder}:${bidSha256}:${at}`;
  const record = { id, type, tender, lot, bidder, bidSha256, at, envelope, keptAt: new Date().toISOString() };
  await run(BID_DOCUMENTS, "readwrite", (store) => store.put(record));
  await markEndedBids(tender, lot, bidder);
  return record;
}

/** Every kept receipt and withdrawal of (tender, lot, bidder); `lot` null for all lots. */
export async function listBidDocuments(tender, lot, bidder) {
  const all = await run(BID_DOCUMENTS, "readonly", (store) => store.getAll());
  return all.filter((d) => d.tender === tender && d.bidder === bidder && (lot === null || d.lot === lot));
}

/**
 * Keep, with a kept receipt, the log's proof that its bid is in the public log (the
 * tlog-proof text as the hub served it, and the index and tree size it was checked at).
 */
export async function keepLogProof(id, { text, index, size }) {
  const record = await run(BID_DOCUMENTS, "readonly", (store) => store.get(id));
  if (!record) return;
  const logProof = { text, index, size, checkedAt: new Date().toISOString() };
  await run(BID_DOCUMENTS, "readwrite", (store) => store.put({ ...record, logProof }));
}

/** Mark the sealed files of (tender, lot, bidder) that are no longer the current bid. */
async function markEndedBids(tender, lot, bidder) {
  const documents = await listBidDocuments(tender, lot, bidder);
  const receipts = documents.filter((d) => d.type === "receipt");
  if (receipts.length === 0) return;
  const latest = receipts.reduce((a, b) => (b.at > a.at ? b : a));
  const withdrawn = documents.some((d) => d.type === "withdrawal" && d.bidSha256 === latest.bidSha256 && d.at >= latest.at);
  const sealed = await run(SEALED_BIDS, "readonly", (store) => store.getAll());
  for (const record of sealed) {
    if (record.tender !== tender || record.lot !== lot || record.bidder !== bidder || record.ended) continue;
    // Only a bid a kept receipt names can have ended: a file of a later upload may be kept first.
    const current = record.bidSha256 === latest.bidSha256;
    const received = receipts.some((d) => d.bidSha256 === record.bidSha256);
    const ended = current ? (withdrawn ? "withdrawn" : null) : received ? "replaced" : null;
    if (ended) await run(SEALED_BIDS, "readwrite", (store) => store.put({ ...record, ended }));
  }
}
