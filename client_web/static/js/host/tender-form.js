// The host's form for a new tender: title, parties, lots with ceilings, times (Beijing time),
// windows and typed read-out items.

import { byId, el } from "../dom.js";
import { t } from "../i18n.js";
import { FieldRefusal } from "../page.js";
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

/**
 * The key of a read-out item (what a bidder's summary file names it by): from its English
 * label (`Warranty (months)` -> `warranty_months`), else `item_N`, and never one already taken.
 * The host sees labels only; the keys of the usual items stay `price` and `duration_days`.
 */
export function itemKey(labelEn, taken, n) {
  const slug = labelEn.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^[^a-z]+|_+$/g, "").slice(0, 32).replace(/_+$/, "");
  const base = slug || `item_${n}`;
  let key = base;
  for (let again = 2; taken.has(key); again += 1) key = `${base}_${again}`;
  return key;
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
  // An item's key is kept, not shown: the usual items keep theirs, new ones get one at creation.
  const row = el("div", { class: "item-row", dataset: { key: item.key } });
  row.append(
    field("create.item_zh", el("input", { name: "item-zh", value: item.label_zh, required: true, maxLength: 300, lang: "zh-CN", dataset: { field: "readout_items.label_zh" } })),
    field("create.item_en", el("input", { name: "item-en", value: item.label_en, required: true, maxLength: 300, lang: "en", dataset: { field: "readout_items.label_en" } })),
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

/** The request body of POST /api/tenders, or a `FieldRefusal` naming the first thing to fix. */
export function readTenderForm() {
  const title = byId("create-title").value.trim();
  if (!title) throw new FieldRefusal("title", t("create.title_missing"));
  const lots = [...byId("lot-rows").children].map((row) => ({
    id: row.querySelector('[name="lot-id"]').value.trim(),
    name: row.querySelector('[name="lot-name"]').value.trim(),
    ceiling: row.querySelector('[name="lot-ceiling"]').value.trim(),
  }));
  lots.forEach((lot, i) => {
    if (!lot.id) throw new FieldRefusal(`lots[${i}].id`, t("create.lot_missing"));
    if (!lot.name) throw new FieldRefusal(`lots[${i}].name`, t("create.lot_missing"));
  });
  lots.forEach((lot, i) => {
    if (!lot.ceiling) {
      delete lot.ceiling;
      return;
    }
    try {
      lot.ceiling = normalize("amount", lot.ceiling);
    } catch {
      throw new FieldRefusal(`lots[${i}].ceiling`, t("create.ceiling_invalid", { lot: lot.name }));
    }
  });
  const twice = lots.findIndex((lot, i) => lots.findIndex((other) => other.id === lot.id) !== i);
  if (twice >= 0) throw new FieldRefusal(`lots[${twice}].id`, t("create.lot_duplicate"));
  const rows = [...byId("item-rows").children];
  const readoutItems = rows.map((row, i) => ({
    key: row.dataset.key ?? "",
    label_zh: row.querySelector('[name="item-zh"]').value.trim(),
    label_en: row.querySelector('[name="item-en"]').value.trim(),
    type: row.querySelector('[name="item-type"]').value,
    row: i,
  }));
  for (const item of readoutItems) {
    if (!item.label_zh) throw new FieldRefusal(`readout_items[${item.row}].label_zh`, t("create.item_missing"));
    if (!item.label_en) throw new FieldRefusal(`readout_items[${item.row}].label_en`, t("create.item_missing"));
  }
  const taken = new Set(readoutItems.map((item) => item.key).filter(Boolean));
  for (const item of readoutItems) {
    if (!item.key) {
      item.key = itemKey(item.label_en, taken, item.row + 1);
      taken.add(item.key);
    }
    delete item.row;
  }
  const deadline = beijingInstant(byId("create-deadline").value);
  if (!deadline) throw new FieldRefusal("deadline", t("create.deadline_missing"));
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
