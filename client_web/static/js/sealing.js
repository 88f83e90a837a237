// Sealing a bid document in a module worker, with progress; the page thread stays free.

let nextId = 1;

/** A sealing failure inside the worker, with the error name it had there. */
export class SealingError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name === "Error" ? "SealingError" : name;
  }
}

/**
 * Seal `document` (a File) for `context` ({tender, lot, bidder}) with the
 * bidder's `keys` and the read-out `summary`. `onProgress(done, total)`
 * follows the plaintext bytes sealed. Resolves to `{blob, bidSha256, size}`.
 * The worker ends with the job, so memory it held is released at once.
 */
export function sealInWorker({ document, keys, context, summary, chunkSize, onProgress = () => {}, signal }) {
  const worker = new Worker("/static/js/workers/seal-worker.js", { type: "module", name: "bidseal-sealer" });
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const finish = () => worker.terminate();
    signal?.addEventListener("abort", () => {
      finish();
      reject(new DOMException("sealing cancelled", "AbortError"));
    });
    worker.addEventListener("message", (event) => {
      const message = event.data;
      if (message.id !== id) return;
      if (message.type === "progress") onProgress(message.done, message.total);
      else if (message.type === "done") {
        finish();
        resolve({ blob: message.blob, bidSha256: message.bidSha256, size: message.size });
      } else if (message.type === "error") {
        finish();
        reject(new SealingError(message.name, message.message));
      }
    });
    worker.addEventListener("error", (event) => {
      finish();
      reject(new SealingError("Error", event.message || "the sealing worker failed to start"));
    });
    worker.postMessage({ id, document, keys, context, summary, chunkSize });
  });
}
