// Sealing off the page's thread: a 200 MB document is read, encrypted and hashed here, chunk by chunk.

import { seal } from "/static/vendor/bidseal.bundle.js";

// Progress is posted at most this often; every chunk would flood the page.
const PROGRESS_INTERVAL_MS = 100;

self.addEventListener("message", async (event) => {
  const { id, document, keys, context, summary, chunkSize } = event.data;
  let lastPost = 0;
  try {
    const outcome = await seal({
      document,
      keys,
      context,
      summary,
      chunkSize,
      onProgress: (done, total) => {
        const now = performance.now();
        if (now - lastPost >= PROGRESS_INTERVAL_MS || done === total) {
          lastPost = now;
          self.postMessage({ id, type: "progress", done, total });
        }
      },
    });
    self.postMessage({
      id,
      type: "done",
      blob: outcome.parts,
      bidSha256: outcome.bidSha256,
      size: outcome.size,
    });
  } catch (error) {
    self.postMessage({ id, type: "error", name: error?.name ?? "Error", message: String(error?.message ?? error) });
  }
});
