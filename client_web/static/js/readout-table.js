// The read-out (唱标) as tables, one per lot, and the lines the speech synthesis reads.

import { bidderLabel, bidderName } from "./bidders.js";
import { el } from "./dom.js";
import { aside, currentLanguage, labelled, t, tIn, tOr } from "./i18n.js";
import { itemLabel } from "./page.js";
import { amountInCapitals, conforms, formatAmount } from "./readout-values.js";
import { lotName } from "./session-view.js";
import { spokenItem } from "./speech.js";

/**
 * A bid's status with its cause (`item`: the read-out item that broke its type), for
 * the read-out and the record alike.
 */
export function outcomeText(status, cause, itemKey, items) {
  const shown = tOr(`status.${status}`, status);
  if (!cause) return shown;
  const item = (items ?? []).find((candidate) => candidate.key === itemKey);
  const label = item ? itemLabel(item, currentLanguage()) : (itemKey ?? "");
  return aside(shown, tOr(`cause.${cause}`, cause, { item: label }));
}

/** A canonical amount as people read it: the figures with separators, beneath them 大写. */
export function amountParts(amount) {
  return [
    el("span", { class: "amount-figures", text: formatAmount(amount) }),
    el("span", { class: "amount-capitals", attrs: { lang: "zh-CN" }, text: amountInCapitals(amount) }),
  ];
}

/**
 * One read-out value: an amount with separators and, beneath, in capitals (大写);
 * an amount above the lot's ceiling is flagged. Anything else as read out.
 */
export function readoutValue(item, value, { aboveCeiling = false } = {}) {
  if (value == null) return el("td", { class: "num", text: "—" });
  if (item.type !== "amount" || !conforms("amount", value)) return el("td", { class: "num", text: value });
  return el(
    "td",
    { class: `num amount${aboveCeiling ? " above-ceiling" : ""}`, dataset: { value } },
    amountParts(value),
    aboveCeiling ? el("span", { class: "badge warn ceiling-flag", text: t("readout.above_ceiling") }) : null,
  );
}

/** One `<table>` per lot; every value goes in as text. */
export function readoutTables(view, { highlight = null } = {}) {
  const language = currentLanguage();
  const items = view.readout_items ?? [];
  return (view.readout ?? []).map((lot) =>
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { dataset: { lot: lot.lot } },
        el("caption", { text: labelled(t("screen.lot"), lotName(view, lot.lot)) }),
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            el("th", { class: "num", attrs: { scope: "col" }, text: "#" }),
            el("th", { attrs: { scope: "col" }, text: t("screen.bidder") }),
            items.map((item) => el("th", { class: "num", attrs: { scope: "col" }, text: itemLabel(item, language) })),
            el("th", { attrs: { scope: "col" }, text: t("screen.status") }),
          ),
        ),
        el(
          "tbody",
          {},
          lot.lines.map((line, index) =>
            el(
              "tr",
              {
                class: [
                  line.status === "opened" ? "" : "unopened",
                  highlight && highlight.lot === lot.lot && highlight.index === index ? "speaking" : "",
                ].join(" ").trim(),
                dataset: { bidder: line.bidder },
              },
              el("td", { class: "num", text: String(index + 1) }),
              // Where a long name is cut short (the big screen), its title holds all of it.
              el(
                "th",
                { attrs: { scope: "row", title: bidderName(view, line.bidder, line.bidder_name) } },
                bidderLabel(view, line.bidder, line.bidder_name),
              ),
              items.map((item) =>
                readoutValue(item, line.items ? line.items[item.key] : null, {
                  aboveCeiling: (line.above_ceiling ?? []).includes(item.key),
                }),
              ),
              el("td", { text: outcomeText(line.status, line.cause, line.item, items) }),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * What is read aloud, always in Chinese (the hall's language): per lot its
 * name, then each bidder with its items, units moved behind the values.
 */
export function spokenReadout(view) {
  const lines = [];
  const where = [];
  for (const lot of view.readout ?? []) {
    lines.push(tIn("zh-CN", "speak.lot", { lot: lotName(view, lot.lot) }));
    where.push(null);
    lot.lines.forEach((line, index) => {
      const bidder = bidderName(view, line.bidder, line.bidder_name);
      if (line.items) {
        const items = (view.readout_items ?? [])
          .map((item) => spokenItem(item.label_zh, line.items[item.key] ?? ""))
          .join("，");
        lines.push(tIn("zh-CN", "speak.opened", { bidder, items }));
      } else {
        const status = tIn("zh-CN", `status.${line.status}`);
        lines.push(tIn("zh-CN", "speak.unopened", { bidder, status }));
      }
      where.push({ lot: lot.lot, index });
    });
  }
  return { lines, where };
}
