// The bidder's encrypted key file kept in this browser (IndexedDB); it never leaves the machine.

const DB_NAME = "bidopen";
const DB_VERSION = 1;
const STORE = "key-files";

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.addEventListener("upgradeneeded", () => {
      request.result.createObjectStore(STORE, { keyPath: "bidderId" });
    });
    request.addEventListener("success", () => resolve(request.result));
    request.addEventListener("error", () => reject(request.error));
  });
}

async function transaction(mode, work) {
  const db = await openDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let result;
      Promise.resolve(work(tx.objectStore(STORE)))
        .then((value) => {
          result = value;
        })
        .catch(reject);
      tx.addEventListener("complete", () => resolve(result));
      tx.addEventListener("error", () => reject(tx.error));
      tx.addEventListener("abort", () => reject(tx.error ?? new Error("transaction aborted")));
    });
  } finally {
    db.close();
  }
}

function requestValue(request) {
  return new Promise((resolve, reject) => {
    request.addEventListener("success", () => resolve(request.result));
    request.addEventListener("error", () => reject(request.error));
  });
}

/**
 * One stored entry: the bidder id the hub gave, the organisation name, and
 * the key file text exactly as downloaded (still encrypted under the passphrase).
 */
export async function saveKeyFile({ bidderId, orgName, keyFileText }) {
  const record = { bidderId, orgName, keyFileText, savedAt: new Date().toISOString() };
  await transaction("readwrite", (store) => requestValue(store.put(record)));
  return record;
}

export function loadKeyFile(bidderId) {
  return transaction("readonly", (store) => requestValue(store.get(bidderId)));
}

export function listKeyFiles() {
  return transaction("readonly", (store) => requestValue(store.getAll()));
}

export function forgetKeyFile(bidderId) {
  return transaction("readwrite", (store) => requestValue(store.delete(bidderId)));
}
