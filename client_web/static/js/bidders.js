// How the pages name a bidder: by its organisation, with the account id small beside it.

import { el } from "./dom.js";

/**
 * A bidder's display name as text: `known` (a `bidder_name` the event or line
 * carries), else the view's `bidder_names`, else the id. Logs written before
 * names were kept name nobody, so the id is always the last resort.
 */
export function bidderName(view, bidderId, known = "") {
  return known || view?.bidder_names?.[bidderId] || bidderId;
}

/**
 * The same as a node: the organisation, then the id in small type (`.bidder-id`;
 * pages short of room hide it with CSS). A bidder without a name shows its id alone.
 */
export function bidderLabel(view, bidderId, known = "") {
  const name = bidderName(view, bidderId, known);
  if (!bidderId || name === bidderId) return el("span", { class: "bidder", text: bidderId || "—" });
  // <bdi>: a name in another script (or with a stored direction override) cannot reorder
  // the id and the columns after it.
  return el(
    "span",
    { class: "bidder" },
    el("bdi", { class: "bidder-name", text: name }),
    " ",
    el("small", { class: "bidder-id", text: bidderId }),
  );
}
