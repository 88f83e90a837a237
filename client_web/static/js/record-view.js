// The signed opening record on a page: its card, checked here, and its bids read for people.

import { bidderLabel } from "./bidders.js";
import { byId, download, el, replaceChildren, setText, show } from "./dom.js";
import { t } from "./i18n.js";
import { outcomeText } from "./readout-table.js";
import { loadPublishedRecord } from "./record.js";
import { partyFacts } from "./tender-facts.js";

/** What the record says of a bidder's stance on it: confirmed, deemed to accept, or nothing. */
function stance(payload, bidder) {
  if ((payload.confirmed ?? []).some((entry) => entry.bidder === bidder)) return t("record.confirmed");
  if ((payload.deemed_accepted ?? []).includes(bidder)) return t("record.deemed");
  return "—";
}

function outcome(bid, items) {
  return bid.status ? outcomeText(bid.status, bid.cause, bid.cause_item, items) : "—";
}

/**
 * A table of the record's bids (format 2 names each bidder; format 1 only by id).
 * `payload` is the verified record payload (`bidopen.session.build_record`).
 */
export function recordBidsTable(payload) {
  const lots = new Map((payload.lots ?? []).map((lot) => [lot.id, lot.name]));
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "record-bids" },
      el("caption", { text: t("record.bids") }),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ["screen.lot", "screen.bidder", "record.receipt_no", "screen.status", "record.stance"].map((key) =>
            el("th", { attrs: { scope: "col" }, text: t(key) }),
          ),
        ),
      ),
      el(
        "tbody",
        {},
        (payload.bids ?? []).map((bid) =>
          el(
            "tr",
            { dataset: { lot: bid.lot, bidder: bid.bidder } },
            el("td", { text: lots.get(bid.lot) ?? bid.lot }),
            el("th", { attrs: { scope: "row" } }, bidderLabel(null, bid.bidder, bid.bidder_name ?? "")),
            el("td", { class: "num", text: String(bid.receipt_no ?? "—") }),
            el("td", { text: outcome(bid, payload.readout_items) }),
            el("td", { text: stance(payload, bid.bidder) }),
          ),
        ),
      ),
    ),
  );
}

/**
 * A SHA-256 in hex as groups of eight digits, for comparing by eye. The line may
 * break only between groups (`<wbr>`), and the text stays the 64 digits, so a
 * copy is the hash itself.
 */
export function hashGroups(hex) {
  return (hex.match(/.{1,8}/g) ?? []).flatMap((group, index) => [
    index > 0 ? el("wbr") : null,
    el("span", { class: "hash-group", text: group }),
  ]);
}

/**
 * The card of a published record: `#record-hash`, `#record-verified` and, where
 * the page has them, `#record-parties` (its parties and ceilings, a `<dl>`) and
 * `#record-summary` (the bids table). The record is fetched
 * and verified once per announced hash; `render` may be called with every view.
 */
export class RecordCard {
  constructor(api, card) {
    this.api = api;
    this.card = card;
    this.asked = null; // the announced hash last fetched (or being fetched)
    this.record = null; // {text, payload, sha256, verified, error} of loadPublishedRecord
  }

  render(sessionId, announced) {
    show(this.card, Boolean(announced));
    if (!announced) return;
    // The printed record (PDF/A with the bundle embedded): a plain link, public like the record.
    const pdf = this.card.querySelector(".record-pdf");
    if (pdf) pdf.href = `/api/sessions/${encodeURIComponent(sessionId)}/record.pdf`;
    const hash = byId("record-hash");
    if (hash.textContent !== announced.sha256) replaceChildren(hash, hashGroups(announced.sha256));
    this.renderLoaded();
    if (this.asked === announced.sha256) return;
    this.asked = announced.sha256;
    loadPublishedRecord(this.api, sessionId, announced.sha256)
      .then((loaded) => {
        this.record = loaded;
        this.renderLoaded();
      })
      .catch(() => {
        // Not reachable now: the next view asks again.
        this.asked = null;
      });
  }

  renderLoaded() {
    const loaded = this.record;
    setText(byId("record-verified"), loaded ? t(loaded.verified ? "screen.record_verified" : "screen.record_unverified") : "");
    // The record's parties and ceilings, as signed (a record older than them states none).
    const parties = document.getElementById("record-parties");
    if (parties) replaceChildren(parties, loaded?.payload ? partyFacts(loaded.payload.tender, loaded.payload.lots) : null);
    const summary = document.getElementById("record-summary");
    if (summary) replaceChildren(summary, loaded?.payload ? recordBidsTable(loaded.payload) : null);
  }

  /** Hand the signed record, as the hub sent it, to the browser's downloads. */
  download(sessionId) {
    if (this.record?.text) download(`opening-record-${sessionId}.json`, this.record.text, "application/json");
  }
}
