// The host's form for a new tender: title, parties, lots with ceilings, times (Beijing time),
// windows and typed read-out items.

import { byId, el } from "../dom.js";
import { t } from "../i18n.js";
import { normalize } from "../readout-values.js";

const DEFAULT_ITEMS = [
  { key: "price", label_zh: "投标报价（元）", label_en: "Bid price (CNY)", type: "amount" },
  { key: "duration_days", label_zh: "工期（日历天）", label_en: "Duration (days)", type: "days" },
];
const ITEM_TYPES = ["amount", "days", "percent", "text"];

let rowCounter = 0;

/** A `datetime-local` value read as Beijing time (UTC+8), where the trading centre is. */
export function beijingInstant(value) {
  if (!value) return null;
  const withSeconds = /T\d\d:\d\d$/.test(value) ? `${value}:00` : value;
  const instant = new Date(`${withSeconds}+08:00`);
  return Number.isNaN(instant.getTime()) ? null : instant.toISOString();
}

/** The `datetime-local` text of an instant in Beijing time. */
export function beijingLocalValue(instant) {
  const shifted = new Date(new Date(instant).getTime() + 8 * 3_600_000);
  return shifted.toISOString().slice(0, 19);
}

function removable(row, container) {
  return el("button", {
    type: "button",
    class: "danger",
    text: t("create.remove"),
    attrs: { "aria-label": t("create.remove") },
    on: {
      click: () => {
        if (container.children.length > 1) row.remove();
      },
    },
  });
}

function field(labelKey, input) {
  input.id = `f${(rowCounter += 1)}`;
  return el("div", {}, el("label", { htmlFor: input.id, text: t(labelKey) }), input);
}

/** The lot number after the highest one given (ids that are not numbers are passed over). */
export function nextLotNumber(ids) {
  return Math.max(0, ...ids.map((id) => (/^\d+$/.test(id.trim()) ? Number(id) : 0))) + 1;
}

function lotRow(container, lot = { id: "", name: "" }) {
  const row = el("div", { class: "lot-row" });
  row.append(
    field("create.lot_id", el("input", { name: "lot-id", value: lot.id, required: true, maxLength: 64, spellcheck: false })),
    field("create.lot_name", el("input", { name: "lot-name", value: lot.name, required: true, maxLength: 300 })),
    field("create.lot_ceiling", el("input", { name: "lot-ceiling", inputMode: "decimal", placeholder: "8650000.00", maxLength: 16 })),
    removable(row, container),
  );
  container.append(row);
}

function itemRow(container, item = { key: "", label_zh: "", label_en: "", type: "text" }) {
  const type = el(
    "select",
    { name: "item-type" },
    ITEM_TYPES.map((name) => el("option", { value: name, text: t(`create.item_type_${name}`), selected: name === item.type })),
  );
  const row = el("div", { class: "item-row" });
  row.append(
    field("create.item_key", el("input", { name: "item-key", value: item.key, required: true, maxLength: 32, spellcheck: false })),
    field("create.item_zh", el("input", { name: "item-zh", value: item.label_zh, required: true, maxLength: 300, lang: "zh-CN" })),
    field("create.item_en", el("input", { name: "item-en", value: item.label_en, required: true, maxLength: 300, lang: "en" })),
    field("create.item_type", type),
    removable(row, container),
  );
  container.append(row);
}

/** Put the form in its starting state: one lot, the two usual read-out items, an hour from now. */
export function resetTenderForm(now) {
  const lots = byId("lot-rows");
  const items = byId("item-rows");
  lots.replaceChildren();
  items.replaceChildren();
  lotRow(lots, { id: "1", name: t("create.default_lot") });
  for (const item of DEFAULT_ITEMS) itemRow(items, item);
  byId("create-title").value = "";
  byId("create-tenderer").value = "";
  byId("create-agency").value = "";
  byId("create-by-law").checked = false;
  byId("create-deadline").value = beijingLocalValue(now + 3_600_000).slice(0, 16) + ":00";
  byId("create-signin").value = "";
  byId("create-decryption").value = "30";
  byId("create-confirmation").value = "15";
}

export function bindTenderForm() {
  byId("add-lot").addEventListener("click", () => {
    const rows = byId("lot-rows");
    const n = nextLotNumber([...rows.querySelectorAll('[name="lot-id"]')].map((input) => input.value));
    lotRow(rows, { id: String(n), name: t("create.lot_n", { n }) });
    rows.lastElementChild.querySelector('[name="lot-name"]').focus();
  });
  byId("add-item").addEventListener("click", () => itemRow(byId("item-rows")));
}

/** The request body of POST /api/tenders, or an Error naming the first thing to fix. */
export function readTenderForm() {
  const title = byId("create-title").value.trim();
  if (!title) throw new Error(t("create.title_missing"));
  const lots = [...byId("lot-rows").children].map((row) => ({
    id: row.querySelector('[name="lot-id"]').value.trim(),
    name: row.querySelector('[name="lot-name"]').value.trim(),
    ceiling: row.querySelector('[name="lot-ceiling"]').value.trim(),
  }));
  if (lots.some((lot) => !lot.id || !lot.name)) throw new Error(t("create.lot_missing"));
  for (const lot of lots) {
    if (!lot.ceiling) {
      delete lot.ceiling;
      continue;
    }
    try {
      lot.ceiling = normalize("amount", lot.ceiling);
    } catch {
      throw new Error(t("create.ceiling_invalid", { lot: lot.name }));
    }
  }
  if (new Set(lots.map((lot) => lot.id)).size !== lots.length) throw new Error(t("create.lot_duplicate"));
  const readoutItems = [...byId("item-rows").children].map((row) => ({
    key: row.querySelector('[name="item-key"]').value.trim(),
    label_zh: row.querySelector('[name="item-zh"]').value.trim(),
    label_en: row.querySelector('[name="item-en"]').value.trim(),
    type: row.querySelector('[name="item-type"]').value,
  }));
  if (readoutItems.some((item) => !item.key || !item.label_zh || !item.label_en)) throw new Error(t("create.item_missing"));
  const deadline = beijingInstant(byId("create-deadline").value);
  if (!deadline) throw new Error(t("create.deadline_missing"));
  const body = {
    title,
    lots,
    deadline,
    // Trading centres type minutes; the hub counts seconds.
    decryption_seconds: Number(byId("create-decryption").value) * 60,
    confirmation_seconds: Number(byId("create-confirmation").value) * 60,
    readout_items: readoutItems,
  };
  const tenderer = byId("create-tenderer").value.trim();
  const agency = byId("create-agency").value.trim();
  if (tenderer) body.tenderer = tenderer;
  if (agency) body.agency = agency;
  body.tendered_by_law = byId("create-by-law").checked;
  const signin = beijingInstant(byId("create-signin").value);
  if (signin) body.signin_opens_at = signin;
  return body;
}
