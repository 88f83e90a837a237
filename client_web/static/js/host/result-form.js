// The host's form to publish a lot's evaluation result: the ranking, the winner, and why every other bidder did not win.

import { bidderLabel, bidderName } from "../bidders.js";
import { el, replaceChildren, show } from "../dom.js";
import { currentLanguage, t } from "../i18n.js";
import { busy, itemLabel } from "../page.js";
import { valueText } from "../readout-values.js";
import { lotName, lotsAwaitingResult } from "../session-view.js";

// The hub's limits (server/bidopen/session/commands.py and validate.py), checked here
// first so that the host hears about a slip before anything is signed.
const MIN_PUBLICITY_DAYS = 3;
const MAX_PUBLICITY_DAYS = 30;
const MAX_CLAUSE_LENGTH = 200;
const MAX_TEXT_LENGTH = 2000;

const rendered = new WeakMap(); // container -> the key of what it shows
let fieldCounter = 0;

/**
 * Lots whose result the host can publish now, each with its opened bids:
 * the evaluation is at its report stage, the lot was not stopped and has no result yet.
 */
export function lotsDue(view) {
  if (view.phase !== "evaluation" || view.evaluation_stage !== "report") return [];
  return lotsAwaitingResult(view).map((lot) => ({
    lot,
    lines: view.readout.find((entry) => entry.lot === lot).lines.filter((line) => line.status === "opened"),
  }));
}

function problem(key, vars = {}) {
  return { error: t(key, vars) };
}

/**
 * The `publish_result` body from what the host entered, or `{error}` naming the first problem.
 *
 * `entries`: one per opened bid, `{bidder, name, rank (1.. or null), clause, text}`;
 * `winner`: a bidder id or ""; `days`: the publicity period as typed.
 */
export function resultBody(lot, entries, winner, days) {
  const ranked = entries.filter((entry) => entry.rank !== null).sort((a, b) => a.rank - b.rank);
  if (ranked.length === 0) return problem("result.error_no_rank");
  // 1, 2, 3 … with no gap and no tie.
  if (ranked.some((entry, index) => entry.rank !== index + 1)) return problem("result.error_rank_order");
  if (!winner) return problem("result.error_no_winner");
  if (!ranked.some((entry) => entry.bidder === winner)) return problem("result.error_winner_unranked");
  const reasons = {};
  for (const entry of entries) {
    if (entry.bidder === winner) continue;
    const clause = entry.clause.trim();
    const text = entry.text.trim();
    if (!clause || !text) return problem("result.error_reason", { bidder: entry.name });
    if (clause.length > MAX_CLAUSE_LENGTH || text.length > MAX_TEXT_LENGTH) {
      return problem("result.error_reason_long", { bidder: entry.name, clause: MAX_CLAUSE_LENGTH, text: MAX_TEXT_LENGTH });
    }
    reasons[entry.bidder] = { clause, text };
  }
  const publicityDays = Number(days);
  if (!Number.isInteger(publicityDays) || publicityDays < MIN_PUBLICITY_DAYS || publicityDays > MAX_PUBLICITY_DAYS) {
    return problem("result.error_days", { min: MIN_PUBLICITY_DAYS, max: MAX_PUBLICITY_DAYS });
  }
  return {
    body: { lot, ranked: ranked.map((entry) => entry.bidder), winner, reasons, publicity_days: publicityDays },
  };
}

function nextId(prefix) {
  fieldCounter += 1;
  return `${prefix}-${fieldCounter}`;
}

function bidRow(view, line, count) {
  const name = bidderName(view, line.bidder, line.bidder_name);
  const language = currentLanguage();
  const items = (view.readout_items ?? [])
    .filter((item) => line.items?.[item.key] !== undefined)
    .map((item) => `${itemLabel(item, language)}：${valueText(item, line.items[item.key])}`)
    .join(" · ");
  const rank = el(
    "select",
    { name: "rank", attrs: { "aria-label": t("result.rank_of", { bidder: name }) } },
    el("option", { value: "", text: t("result.unranked") }),
    Array.from({ length: count }, (_, index) => el("option", { value: String(index + 1), text: String(index + 1) })),
  );
  const winner = el("input", {
    type: "radio",
    name: "winner",
    value: line.bidder,
    attrs: { "aria-label": t("result.winner_is", { bidder: name }) },
  });
  const clause = el("input", {
    name: "clause",
    maxLength: MAX_CLAUSE_LENGTH,
    placeholder: t("result.clause_example"),
    attrs: { "aria-label": t("result.clause_of", { bidder: name }) },
  });
  const text = el("textarea", {
    name: "text",
    rows: 2,
    maxLength: MAX_TEXT_LENGTH,
    attrs: { "aria-label": t("result.text_of", { bidder: name }) },
  });
  const row = el(
    "tr",
    { dataset: { bidder: line.bidder } },
    el("th", { attrs: { scope: "row" } }, bidderLabel(view, line.bidder, line.bidder_name), items ? el("span", { class: "hint", text: items }) : null),
    el("td", {}, rank),
    el("td", {}, winner),
    el("td", {}, clause),
    el("td", {}, text),
  );
  return {
    row,
    winner,
    reasonFields: [clause, text],
    entry: () => ({
      bidder: line.bidder,
      name,
      rank: rank.value ? Number(rank.value) : null,
      clause: clause.value,
      text: text.value,
    }),
  };
}

function lotForm(view, due, send) {
  const rows = due.lines.map((line) => bidRow(view, line, due.lines.length));
  const daysId = nextId("publicity-days");
  const days = el("input", {
    id: daysId,
    name: "publicity_days",
    type: "number",
    min: MIN_PUBLICITY_DAYS,
    max: MAX_PUBLICITY_DAYS,
    value: MIN_PUBLICITY_DAYS,
    required: true,
  });
  const message = el("p", { class: "message error", attrs: { role: "alert" }, hidden: true });
  const button = el("button", { type: "submit", class: "primary", text: t("result.publish_button") });
  const form = el(
    "form",
    { class: "result-form", dataset: { lot: due.lot }, attrs: { novalidate: true } },
    el("h3", { text: lotName(view, due.lot) }),
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        {},
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ["result.bidder", "result.rank", "result.winner", "result.clause", "result.text"].map((key) =>
              el("th", { attrs: { scope: "col" }, text: t(key) }),
            ),
          ),
        ),
        el("tbody", {}, rows.map((entry) => entry.row)),
      ),
    ),
    el("p", { class: "hint", text: t("result.hint") }),
    el("label", { htmlFor: daysId, text: t("result.publicity_days") }),
    days,
    message,
    el("div", { class: "actions" }, button),
  );
  // The winner needs no reason for not winning: its reason fields are closed.
  const winnerChanged = () => {
    for (const entry of rows) {
      for (const input of entry.reasonFields) input.disabled = entry.winner.checked;
    }
  };
  for (const entry of rows) entry.winner.addEventListener("change", winnerChanged);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    message.hidden = true;
    const winner = rows.find((entry) => entry.winner.checked)?.entry().bidder ?? "";
    const outcome = resultBody(due.lot, rows.map((entry) => entry.entry()), winner, days.value);
    if (outcome.error) {
      message.textContent = outcome.error;
      message.hidden = false;
      return;
    }
    const confirm = t("result.confirm", { lot: lotName(view, due.lot), winner: bidderName(view, winner) });
    busy(button, () => send("publish_result", outcome.body, { confirm, form }));
  });
  return form;
}

/**
 * Show in `container` one form per lot whose result is due (and nothing otherwise).
 * Call it with every new view; forms are rebuilt only when the lots or their bids
 * change, so what the host is typing stays. `send(command, body, {confirm})` is the
 * console's command sender; the session feed brings the published result back.
 */
export function renderResultForm(container, view, send) {
  const due = lotsDue(view);
  show(container, due.length > 0);
  const key = JSON.stringify([currentLanguage(), due.map((lot) => [lot.lot, lot.lines.map((line) => line.bidder)])]);
  if (rendered.get(container) === key) return;
  rendered.set(container, key);
  const headingId = nextId("result-heading");
  container.setAttribute("aria-labelledby", headingId);
  replaceChildren(
    container,
    due.length ? el("h2", { id: headingId, text: t("result.title") }) : null,
    due.map((lot) => lotForm(view, lot, send)),
  );
}
