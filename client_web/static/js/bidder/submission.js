// Before the deadline: seal and upload a bid, replace or withdraw it, keep and check its receipt.

import { parseSealed, verifySignedDocument } from "/static/vendor/bidseal.bundle.js";
import { describeError } from "../api.js";
import { byId, download, el, replaceChildren, setText, show } from "../dom.js";
import { currentLanguage, formatBytes, t, tOr } from "../i18n.js";
import { FieldRefusal, busy, clearMessage, itemLabel, showMessage, showRefusal, when } from "../page.js";
import { trustedServerKey } from "../record.js";
import { sealInWorker } from "../sealing.js";
import { saveSealedBid } from "../vault.js";
import { normalize, valueText } from "../readout-values.js";
import { keepArrived } from "./documents.js";

const MAX_ITEM_LENGTH = 200;

function sameBytes(a, b) {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/**
 * The read-out items to seal, each of its type (an amount gets its two decimals); a value
 * not of its type (`三百二十万`, `8,650,000`, `-1`) is refused here, naming the item, and
 * is never sealed (a `FieldRefusal` naming the item's key, its input's name). Items of tenders
 * made before types were kept are text.
 */
export function readItems(tender, inputs) {
  const items = {};
  for (const item of tender.readout_items) {
    const label = itemLabel(item, currentLanguage());
    const value = (inputs.get(item.key)?.value ?? "").trim();
    if (!value) throw new FieldRefusal(item.key, t("submit.item_missing", { item: label }));
    try {
      items[item.key] = normalize(item.type ?? "text", value, item.max_length ?? MAX_ITEM_LENGTH);
    } catch (error) {
      throw new FieldRefusal(item.key, t(`submit.item_${error.message}`, { item: label, max: item.max_length ?? MAX_ITEM_LENGTH }));
    }
  }
  return items;
}

/** The values just sealed, as the read-out will show them: the bidder checks them here. */
function sealedValues(tender, items) {
  const language = currentLanguage();
  return el(
    "dl",
    { class: "sealed-values" },
    tender.readout_items.flatMap((item) => [
      el("dt", { text: itemLabel(item, language) }),
      el(
        "dd",
        { dataset: { item: item.key } },
        valueText(item, items[item.key]),
      ),
    ]),
  );
}

function setProgress(prefix, done, total) {
  const bar = byId(`${prefix}-progress-bar`);
  bar.max = Math.max(1, total);
  bar.value = done;
  setText(byId(`${prefix}-progress-text`), `${formatBytes(done)} / ${formatBytes(total)} (${Math.floor((100 * done) / Math.max(1, total))}%)`);
  show(byId(`${prefix}-progress`));
}

/**
 * The submission card. `room` is the page's state holder: `{api, bidderId,
 * keys, tender}` and `requireKeys()`; `onChanged()` runs after a bid changed.
 */
export class SubmissionCard {
  constructor(room) {
    this.room = room;
    this.itemInputs = new Map();
    this.form = byId("submit-form");
    this.message = byId("submit-message");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(byId("submit-button"), () => this.submit());
    });
    for (const radio of this.form.querySelectorAll('input[name="submit-mode"]')) {
      radio.addEventListener("change", () => this.renderMode());
    }
    this.renderMode();
  }

  get sealing() {
    return byId("mode-seal").checked;
  }

  renderMode() {
    show(byId("seal-fields"), this.sealing);
    show(byId("sealed-fields"), !this.sealing);
    setText(byId("submit-button"), this.sealing ? t("submit.button") : t("submit.button_sealed"));
  }

  /** Rebuild the lot choice and the read-out item fields for the chosen tender. */
  renderForm(tender) {
    const lotSelect = byId("submit-lot");
    const previous = lotSelect.value;
    replaceChildren(lotSelect, tender.lots.map((lot) => el("option", { value: lot.id, text: lot.name })));
    if (tender.lots.some((lot) => lot.id === previous)) lotSelect.value = previous;
    const language = currentLanguage();
    const kept = new Map([...this.itemInputs].map(([key, input]) => [key, input.value]));
    this.itemInputs.clear();
    replaceChildren(
      byId("submit-items"),
      tender.readout_items.map((item) => {
        const input = el("input", {
          id: `item-${item.key}`,
          name: item.key,
          required: true,
          inputMode: { amount: "decimal", percent: "decimal", days: "numeric" }[item.type] ?? "text",
          placeholder: { amount: "8650000.00", percent: "97.5", days: "180" }[item.type] ?? "",
          autocomplete: "off",
          maxLength: item.max_length ?? MAX_ITEM_LENGTH,
          value: kept.get(item.key) ?? "",
        });
        this.itemInputs.set(item.key, input);
        return el("div", {}, el("label", { htmlFor: input.id, text: itemLabel(item, language) }), input);
      }),
    );
    this.renderMode();
  }

  async submit() {
    clearMessage(this.message);
    const { tender, tenderId, bidderId } = this.room;
    const lot = byId("submit-lot").value;
    // The deadline the tender showed before the upload: the receipt must sign no earlier one.
    const shownDeadline = tender.deadline;
    try {
      const keys = await this.room.requireKeys();
      const context = { tender: tenderId, lot, bidder: bidderId };
      const sealed = this.sealing ? await this.sealHere(context, keys) : await this.checkSealedFile(context, keys);
      setProgress("upload", 0, sealed.blob.size);
      const path = `/api/tenders/${encodeURIComponent(tenderId)}/lots/${encodeURIComponent(lot)}/bid`;
      const { receipt } = await this.room.api.upload("PUT", path, sealed.blob, {
        headers: { "Content-Type": "application/octet-stream" },
        onProgress: (sent, total) => setProgress("upload", sent, total),
      });
      // Kept in this browser once checked: at the opening the room decides from it alone.
      const arrived = await keepArrived(this.room.api, "receipt", receipt, { ...context, bidSha256: sealed.bidSha256, shownDeadline });
      const payload = arrived.payload;
      this.room.receipts.set(payload.bid_sha256, receipt);
      let kept = arrived.kept;
      try {
        await saveSealedBid({ bidSha256: sealed.bidSha256, tender: tenderId, lot, bidder: bidderId, blob: sealed.blob });
      } catch {
        kept = false;
      }
      this.lastSealed = sealed;
      const shown = byId("submit-sealed-values");
      if (sealed.items) {
        replaceChildren(shown, [el("p", { text: t("submit.sealed_values") }), sealedValues(tender, sealed.items)]);
      }
      shown.hidden = !sealed.items;
      showMessage(
        this.message,
        t(kept ? "submit.done" : "submit.done_not_kept", { id: payload.receipt_id, at: when(payload.received_at), deadline: when(payload.deadline) }),
        kept ? "ok" : "warn",
      );
      this.form.reset();
      this.renderMode();
      await this.room.onChanged();
    } catch (error) {
      showRefusal(this.message, error, this.form);
    }
  }

  async sealHere(context, keys) {
    const document = byId("submit-document").files[0];
    if (!document) throw new FieldRefusal("document", t("submit.choose_document"));
    const items = readItems(this.room.tender, this.itemInputs);
    setProgress("seal", 0, document.size);
    const sealed = await sealInWorker({
      document,
      keys,
      context,
      summary: { items, document: { name: document.name, type: document.type || "application/octet-stream" } },
      onProgress: (done, total) => setProgress("seal", done, total),
    });
    return { ...sealed, items };
  }

  /**
   * A file sealed elsewhere (`bidopen seal`): check here that it is whole,
   * made for this tender, lot and bidder, and signed with our key, so a
   * wrong file is caught before a long upload.
   */
  async checkSealedFile(context, keys) {
    const file = byId("submit-sealed").files[0];
    if (!file) throw new FieldRefusal("sealed", t("submit.choose_sealed"));
    let sealed;
    try {
      sealed = await parseSealed(file);
    } catch (error) {
      if (error?.name === "InvalidSealedBidError") throw new FieldRefusal("sealed", t("error.invalid_sealed_bid"));
      throw error;
    }
    const { tender, lot, bidder } = sealed.context;
    if (tender !== context.tender || lot !== context.lot || bidder !== context.bidder) {
      throw new FieldRefusal("sealed", t("submit.sealed_other_context", { tender, lot, bidder }));
    }
    if (!sameBytes(sealed.header.signerKey, keys.signingPoint)) throw new FieldRefusal("sealed", t("submit.sealed_other_key"));
    return { blob: file, bidSha256: sealed.bidSha256, size: file.size };
  }

  /** A receipt fetched again for download: signed by the server, naming exactly this bid. */
  async checkReceipt(receipt, bidSha256) {
    const payload = await verifySignedDocument(receipt, "receipt", await trustedServerKey(this.room.api));
    if (payload.bid_sha256 !== bidSha256) throw new Error(t("submit.receipt_mismatch"));
    this.room.receipts.set(payload.bid_sha256, receipt);
    return payload;
  }

  /** The bidder's own bids in this tender: current ones with their actions, then history. */
  async renderBids() {
    const { api, tender, tenderId } = this.room;
    const { bids } = await api.get(`/api/tenders/${encodeURIComponent(tenderId)}/bids/mine`);
    const open = this.room.view?.phase === "scheduled";
    const lotName = (id) => tender.lots.find((lot) => lot.id === id)?.name ?? id;
    const rows = bids.map((bid) =>
      el(
        "tr",
        { dataset: { lot: bid.lot, status: bid.status } },
        el("td", { text: lotName(bid.lot) }),
        el("td", {}, el("span", { class: `badge ${bid.status === "current" ? "ok" : ""}`, text: tOr(`bid.${bid.status}`, bid.status) })),
        el("td", { text: when(bid.received_at) }),
        el("td", { class: "mono", text: bid.bid_sha256, title: `${formatBytes(bid.size)}` }),
        el(
          "td",
          {},
          bid.status === "current"
            ? [
                el("button", { type: "button", text: t("submit.receipt"), on: { click: () => this.downloadReceipt(bid) } }),
                " ",
                el("button", {
                  type: "button",
                  class: "receipt-pdf",
                  text: t("submit.receipt_pdf"),
                  on: { click: (event) => busy(event.currentTarget, () => this.downloadReceiptPdf(bid)) },
                }),
                " ",
                open
                  ? el("button", {
                      type: "button",
                      class: "danger",
                      text: t("submit.withdraw"),
                      on: { click: (event) => busy(event.currentTarget, () => this.withdraw(bid)) },
                    })
                  : null,
              ]
            : null,
        ),
      ),
    );
    replaceChildren(
      byId("my-bids").tBodies[0],
      rows.length ? rows : el("tr", {}, el("td", { colSpan: 5, class: "muted", text: t("submit.none") })),
    );
    return bids;
  }

  async downloadReceipt(bid) {
    try {
      const { tenderId, api } = this.room;
      let receipt = this.room.receipts.get(bid.bid_sha256);
      if (!receipt) {
        const answer = await api.get(`/api/tenders/${encodeURIComponent(tenderId)}/lots/${encodeURIComponent(bid.lot)}/bid`);
        receipt = answer.receipt;
        await this.checkReceipt(receipt, bid.bid_sha256);
      }
      download(`receipt-${tenderId}-${bid.lot}-${bid.receipt_id}.json`, `${JSON.stringify(receipt, null, 2)}\n`, "application/json");
    } catch (error) {
      showMessage(this.message, describeError(error), "error");
    }
  }

  /** The printed receipt (PDF/A, the signed receipt embedded), from the bidder's own endpoint. */
  async downloadReceiptPdf(bid) {
    try {
      const { tenderId, api } = this.room;
      const path = `/api/tenders/${encodeURIComponent(tenderId)}/lots/${encodeURIComponent(bid.lot)}/bid/receipt.pdf`;
      const response = await api.request("GET", path, { raw: true });
      download(`receipt-${tenderId}-${bid.lot}-${bid.receipt_id}.pdf`, await response.blob(), "application/pdf");
    } catch (error) {
      showMessage(this.message, describeError(error), "error");
    }
  }

  async withdraw(bid) {
    const { tender, tenderId, bidderId, api } = this.room;
    const lotName = tender.lots.find((lot) => lot.id === bid.lot)?.name ?? bid.lot;
    if (!window.confirm(t("submit.withdraw_confirm", { lot: lotName }))) return;
    try {
      const { withdrawal } = await api.delete(`/api/tenders/${encodeURIComponent(tenderId)}/lots/${encodeURIComponent(bid.lot)}/bid`);
      // Kept, so that this browser never opens the withdrawn bid (its sealed file is marked).
      const { payload } = await keepArrived(api, "withdrawal", withdrawal, { tender: tenderId, lot: bid.lot, bidder: bidderId });
      download(`withdrawal-${tenderId}-${bid.lot}-${payload.receipt_id}.json`, `${JSON.stringify(withdrawal, null, 2)}\n`, "application/json");
      showMessage(this.message, t("submit.withdrawn", { lot: lotName, at: when(payload.withdrawn_at) }), "ok");
      await this.room.onChanged();
    } catch (error) {
      showMessage(this.message, describeError(error), "error");
    }
  }
}
