// The public log's newest checkpoint as one line of the big screen (docs/transparency-log.md):
// anyone in the hall can photograph it and later hold the log to it (`bidopen verify --old`).

/** How often the screen asks for the checkpoint; the log signs one about every second. */
export const CHECKPOINT_MS = 5_000;

/**
 * Read a checkpoint note (pure): origin, size, root, and how many signatures other than the
 * log's own it carries (witnesses' cosignatures; the screen counts them, verifiers check them).
 * Returns null for text that is not a checkpoint.
 */
export function parseCheckpoint(text) {
  const cut = text.lastIndexOf("\n\n");
  if (cut < 0) return null;
  const body = text.slice(0, cut).split("\n");
  if (body.length !== 3 || !/^(0|[1-9][0-9]*)$/.test(body[1]) || !/^[A-Za-z0-9+/]{43}=$/.test(body[2])) {
    return null;
  }
  const [origin, size, root] = body;
  const names = text
    .slice(cut + 2)
    .split("\n")
    .filter((line) => line.startsWith("\u2014 "))
    .map((line) => line.slice(2).split(" ")[0]);
  return { origin, size: Number(size), root, cosigners: names.filter((name) => name !== origin).length };
}

/**
 * Keep `element` showing the newest checkpoint and `qr` (an `<img>` in a hidden `<figure>`)
 * its QR code; `render(checkpoint)` gives the line's text. The hub sends the note and its
 * QR code together (`GET /api/log/checkpoint`), so the two always show the same checkpoint.
 */
export function mountLogLine(element, render, { qr = null, every = CHECKPOINT_MS } = {}) {
  let latest = null;
  const show = () => {
    if (!latest) return;
    element.textContent = render(latest);
    element.hidden = false;
  };
  const poll = async () => {
    try {
      const response = await fetch("/api/log/checkpoint", { cache: "no-store" });
      if (response.ok) {
        const found = await response.json();
        const parsed = parseCheckpoint(found.checkpoint ?? "");
        if (parsed && (!latest || parsed.size !== latest.size || parsed.cosigners !== latest.cosigners)) {
          latest = parsed;
          showCode(qr, found.qr_svg);
        }
      }
    } catch {
      // The hall keeps the last checkpoint it showed; the next poll tries again.
    }
    show();
  };
  poll();
  setInterval(poll, every);
  return { refresh: show, latest: () => latest };
}

// The hub's own SVG as an image (never as markup in the page).
function showCode(qr, svg) {
  if (!qr || typeof svg !== "string") return;
  qr.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  qr.closest("figure").hidden = false;
}
