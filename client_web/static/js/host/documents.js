// The opened bid documents in the host console during the evaluation: a list, and downloads checked by size and SHA-256.

import { describeError } from "../api.js";
import { bidderLabel } from "../bidders.js";
import { byId, download, el, replaceChildren, show } from "../dom.js";
import { t } from "../i18n.js";
import { busy, clearMessage, showMessage } from "../page.js";
import { lotName } from "../session-view.js";

// The evaluation starts once the record is out; the hub itself allows reading from the read-out on.
const EVALUATION_PHASES = new Set(["closed", "evaluation", "result_published"]);

/** A size for people: bytes up to 1 KiB, then KiB, MiB, GiB with one decimal. */
export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** `{lot}-{bidder}-{name}`, the bidder's own file name reduced to its last part. */
export function documentFileName(entry) {
  const given = (entry.name || "").split(/[\\/]/).pop().replace(/^[.\s]+|[.\s]+$/g, "");
  return `${entry.lot}-${entry.bidder}-${given || "document.bin"}`;
}

async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class DocumentsCard {
  constructor(api, root) {
    this.api = api;
    this.root = root;
    this.tenderId = null;
    this.documents = null;
    this.view = null;
  }

  /** Show the card in the evaluation phases; the listing is fetched once per tender. */
  async render(tenderId, view) {
    this.view = view;
    const due = EVALUATION_PHASES.has(view.phase);
    show(this.root, due);
    if (!due) return;
    if (this.tenderId !== tenderId) {
      this.tenderId = tenderId;
      this.documents = null;
      try {
        const { documents } = await this.api.get(`/api/tenders/${encodeURIComponent(tenderId)}/documents`);
        this.documents = documents;
      } catch (error) {
        this.tenderId = null;
        showMessage(byId("documents-message"), describeError(error), "error");
        return;
      }
    }
    this.renderRows();
  }

  renderRows() {
    if (!this.documents) return;
    const rows = this.documents.map((entry) => {
      const button = el("button", { type: "button", text: t("documents.download") });
      button.addEventListener("click", () => busy(button, () => this.download(entry)));
      return el(
        "tr",
        { dataset: { bidder: entry.bidder, lot: entry.lot } },
        el("td", { text: lotName(this.view, entry.lot) }),
        el("th", { attrs: { scope: "row" } }, bidderLabel(this.view, entry.bidder, entry.bidder_name)),
        el("td", { text: entry.name || "—", attrs: { dir: "auto" } }),
        el("td", { class: "num", text: sizeText(entry.size) }),
        // The first 16 digits tell documents apart; the whole hash is in the tooltip and the check.
        el("td", { class: "mono", text: `${entry.sha256.slice(0, 16)}…`, attrs: { title: entry.sha256 } }),
        el("td", {}, button),
      );
    });
    const body = this.root.querySelector("tbody");
    replaceChildren(body, rows.length ? rows : el("tr", {}, el("td", { attrs: { colspan: "6" }, class: "muted", text: t("documents.none") })));
  }

  /** The whole document in memory, checked, then saved; `bidopen host documents` streams large ones to disk. */
  async download(entry) {
    const message = byId("documents-message");
    clearMessage(message);
    try {
      const path = `/api/tenders/${encodeURIComponent(this.tenderId)}/lots/${encodeURIComponent(entry.lot)}/bids/${encodeURIComponent(entry.bidder)}/document`;
      const response = await this.api.get(path, { raw: true });
      const blob = await response.blob();
      if (blob.size !== entry.size || (await sha256Hex(blob)) !== entry.sha256) {
        showMessage(message, t("documents.mismatch"), "error");
        return;
      }
      download(documentFileName(entry), blob);
      showMessage(message, t("documents.saved", { name: documentFileName(entry) }), "ok");
    } catch (error) {
      showMessage(message, describeError(error), "error");
    }
  }
}
