// The host's form to publish a lot's evaluation result: 中标候选人 ranked first to third with
// price and score, every other opened bid rejected (否决投标, with its clause) or not ranked
// (未入围); no candidate at all makes the lot fail (流标), with its reason.

import { bidderLabel, bidderName } from "../bidders.js";
import { el, replaceChildren, show } from "../dom.js";
import { currentLanguage, t } from "../i18n.js";
import { busy, itemLabel } from "../page.js";
import { valueText } from "../readout-values.js";
import { lotName, lotsAwaitingResult } from "../session-view.js";

// The hub's limits (server/bidopen/session/commands.py, values.py and validate.py), checked
// here first so that the host hears about a slip before anything is signed.
const MAX_CANDIDATES = 3;
const MIN_PUBLICITY_DAYS = 3;
const MAX_PUBLICITY_DAYS = 30;
const MAX_CLAUSE_LENGTH = 200;
const MAX_TEXT_LENGTH = 2000;
const AMOUNT = /^(0|[1-9][0-9]{0,11})\.[0-9]{2}$/;
const SCORE = /^(0|[1-9][0-9]{0,3})(\.[0-9]{1,2})?$/;
const DISPOSITIONS = ["rejected", "not_ranked"];

const rendered = new WeakMap(); // container -> the key of what it shows
let fieldCounter = 0;

/**
 * Lots whose result the host can publish now: the evaluation is at its report stage, the lot
 * was not stopped, had a bid and has no result yet. `lines` are its opened bids (each is a
 * candidate or has its reason); `unopened` the others (their read-out status says why).
 */
export function lotsDue(view) {
  if (view.phase !== "evaluation" || view.evaluation_stage !== "report") return [];
  return lotsAwaitingResult(view).map((lot) => {
    const lines = view.readout.find((entry) => entry.lot === lot)?.lines ?? [];
    return {
      lot,
      lines: lines.filter((line) => line.status === "opened"),
      unopened: lines.filter((line) => line.status !== "opened"),
    };
  });
}

function problem(key, vars = {}, field = null) {
  return { error: t(key, vars), field };
}

/**
 * The `publish_result` body from what the host entered, or `{error, field}` naming the first
 * problem. `entries`: one per opened bid, `{bidder, name, rank (1..3 or null), disposition
 * ("rejected", "not_ranked" or ""), price, score, clause, text}`; `failure`: why the lot
 * fails when nobody is ranked; `days`: the publicity period as typed.
 */
export function resultBody(lot, entries, failure, days) {
  const ranked = entries.filter((entry) => entry.rank !== null).sort((a, b) => a.rank - b.rank);
  for (const entry of entries) {
    if (entry.rank !== null && entry.disposition) return problem("result.error_both", { bidder: entry.name }, entry.bidder);
    if (entry.rank === null && !entry.disposition) return problem("result.error_neither", { bidder: entry.name }, entry.bidder);
  }
  if (ranked.length > MAX_CANDIDATES) return problem("result.error_too_many", { max: MAX_CANDIDATES });
  // 1, 2, 3 with no gap and no tie.
  if (ranked.some((entry, index) => entry.rank !== index + 1)) return problem("result.error_rank_order");
  const candidates = [];
  for (const entry of ranked) {
    const candidate = { bidder: entry.bidder };
    const price = entry.price.trim().replaceAll(",", "");
    if (price) {
      if (!AMOUNT.test(price)) return problem("result.error_price", { bidder: entry.name }, entry.bidder);
      candidate.price = price;
    }
    const score = entry.score.trim();
    if (score) {
      if (!SCORE.test(score)) return problem("result.error_score", { bidder: entry.name }, entry.bidder);
      candidate.score = score;
    }
    candidates.push(candidate);
  }
  const reasons = {};
  for (const entry of entries.filter((e) => e.disposition)) {
    const clause = entry.clause.trim();
    const text = entry.text.trim();
    if (!text || (entry.disposition === "rejected" && !clause)) {
      return problem(`result.error_reason_${entry.disposition}`, { bidder: entry.name }, entry.bidder);
    }
    if (clause.length > MAX_CLAUSE_LENGTH || text.length > MAX_TEXT_LENGTH) {
      return problem("result.error_reason_long", { bidder: entry.name, clause: MAX_CLAUSE_LENGTH, text: MAX_TEXT_LENGTH }, entry.bidder);
    }
    reasons[entry.bidder] = { disposition: entry.disposition, clause, text };
  }
  const publicityDays = Number(days);
  if (!Number.isInteger(publicityDays) || publicityDays < MIN_PUBLICITY_DAYS || publicityDays > MAX_PUBLICITY_DAYS) {
    return problem("result.error_days", { min: MIN_PUBLICITY_DAYS, max: MAX_PUBLICITY_DAYS }, "publicity_days");
  }
  const body = { lot, reasons, publicity_days: publicityDays };
  if (candidates.length) return { body: { ...body, outcome: "candidates", candidates } };
  const why = failure.trim();
  if (!why) return problem("result.error_failure", {}, "failure");
  return { body: { ...body, outcome: "failed", candidates: [], failure: why } };
}

function nextId(prefix) {
  fieldCounter += 1;
  return `${prefix}-${fieldCounter}`;
}

function labelledInput(tag, props, label) {
  return el(tag, { ...props, attrs: { ...(props.attrs ?? {}), "aria-label": label } });
}

function bidRow(view, line) {
  const name = bidderName(view, line.bidder, line.bidder_name);
  const language = currentLanguage();
  const items = (view.readout_items ?? [])
    .filter((item) => line.items?.[item.key] !== undefined)
    .map((item) => `${itemLabel(item, language)}：${valueText(item, line.items[item.key])}`)
    .join(" · ");
  const rank = labelledInput(
    "select",
    { name: "rank" },
    t("result.rank_of", { bidder: name }),
  );
  rank.append(
    el("option", { value: "", text: "—" }),
    ...Array.from({ length: MAX_CANDIDATES }, (_, index) =>
      el("option", { value: String(index + 1), text: t("result.candidate_rank", { rank: index + 1 }) }),
    ),
  );
  const disposition = labelledInput("select", { name: "disposition" }, t("result.disposition_of", { bidder: name }));
  disposition.append(
    el("option", { value: "", text: "—" }),
    ...DISPOSITIONS.map((value) => el("option", { value, text: t(`result.disposition_${value}`) })),
  );
  const price = labelledInput(
    "input",
    { name: "price", inputMode: "decimal", size: 12, value: line.items?.price ?? "" },
    t("result.price_of", { bidder: name }),
  );
  const score = labelledInput("input", { name: "score", inputMode: "decimal", size: 6 }, t("result.score_of", { bidder: name }));
  const clause = labelledInput(
    "input",
    { name: "clause", maxLength: MAX_CLAUSE_LENGTH, placeholder: t("result.clause_example") },
    t("result.clause_of", { bidder: name }),
  );
  const text = labelledInput("textarea", { name: "text", rows: 2, maxLength: MAX_TEXT_LENGTH }, t("result.text_of", { bidder: name }));
  const row = el(
    "tr",
    { dataset: { bidder: line.bidder } },
    el("th", { attrs: { scope: "row" } }, bidderLabel(view, line.bidder, line.bidder_name), items ? el("span", { class: "hint", text: items }) : null),
    el("td", {}, rank),
    el("td", {}, price, " ", score),
    el("td", {}, disposition),
    el("td", {}, clause),
    el("td", {}, text),
  );
  // A candidate has a price and score, a bid that is not one has a reason: the other fields close.
  const sync = () => {
    const candidate = rank.value !== "";
    price.disabled = !candidate;
    score.disabled = !candidate;
    for (const input of [clause, text]) input.disabled = candidate && !disposition.value;
  };
  rank.addEventListener("change", sync);
  disposition.addEventListener("change", sync);
  sync();
  return {
    row,
    line,
    fields: { rank, disposition, clause, text },
    entry: () => ({
      bidder: line.bidder,
      name,
      rank: rank.value ? Number(rank.value) : null,
      disposition: disposition.value,
      price: price.value,
      score: score.value,
      clause: clause.value,
      text: text.value,
    }),
  };
}

function lotForm(view, due, send) {
  const rows = due.lines.map((line) => bidRow(view, line));
  const daysId = nextId("publicity-days");
  const failureId = nextId("failure");
  const days = el("input", {
    id: daysId,
    name: "publicity_days",
    type: "number",
    min: MIN_PUBLICITY_DAYS,
    max: MAX_PUBLICITY_DAYS,
    value: MIN_PUBLICITY_DAYS,
    required: true,
  });
  const failure = el("textarea", { id: failureId, name: "failure", rows: 2, maxLength: MAX_TEXT_LENGTH });
  const message = el("p", { class: "message error", attrs: { role: "alert" }, hidden: true });
  const button = el("button", { type: "submit", class: "primary", text: t("result.publish_button") });
  const unopened = due.unopened.map((line) => bidderName(view, line.bidder, line.bidder_name));
  const form = el(
    "form",
    { class: "result-form", dataset: { lot: due.lot }, attrs: { novalidate: true } },
    el("h3", { text: lotName(view, due.lot) }),
    rows.length
      ? el(
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
                ["result.bidder", "result.rank", "result.price_score", "result.disposition", "result.clause", "result.text"].map((key) =>
                  el("th", { attrs: { scope: "col" }, text: t(key) }),
                ),
              ),
            ),
            el("tbody", {}, rows.map((entry) => entry.row)),
          ),
        )
      : el("p", { class: "hint", text: t("result.none_opened") }),
    unopened.length ? el("p", { class: "hint", text: t("result.unopened", { bidders: unopened.join("、") }) }) : null,
    el("p", { class: "hint", text: t("result.hint") }),
    el("label", { htmlFor: failureId, text: t("result.failure_label") }),
    failure,
    el("label", { htmlFor: daysId, text: t("result.publicity_days") }),
    days,
    message,
    el("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    message.hidden = true;
    for (const entry of rows) for (const input of Object.values(entry.fields)) input.removeAttribute("aria-invalid");
    const outcome = resultBody(due.lot, rows.map((entry) => entry.entry()), failure.value, days.value);
    if (outcome.error) {
      message.textContent = outcome.error;
      message.hidden = false;
      const row = rows.find((entry) => entry.line.bidder === outcome.field);
      const marked = row ? row.fields.rank : outcome.field === "failure" ? failure : outcome.field === "publicity_days" ? days : null;
      marked?.setAttribute("aria-invalid", "true");
      marked?.focus();
      return;
    }
    const first = outcome.body.candidates[0];
    const confirm = first
      ? t("result.confirm", { lot: lotName(view, due.lot), first: bidderName(view, first.bidder) })
      : t("result.confirm_failed", { lot: lotName(view, due.lot) });
    busy(button, () => send("publish_result", outcome.body, { confirm, form }));
  });
  return form;
}

/**
 * Show in `container` one form per lot whose result is due, or, before that, when the form
 * will appear. Call it with every new view; forms are rebuilt only when the lots or their
 * bids change, so what the host is typing stays. `send(command, body, {confirm})` is the
 * console's command sender; the session feed brings the published result back.
 */
export function renderResultForm(container, view, send) {
  const due = lotsDue(view);
  const waiting = ["closed", "evaluation"].includes(view.phase) && due.length === 0 && lotsAwaitingResult(view).length > 0;
  show(container, due.length > 0 || waiting);
  const key = JSON.stringify([currentLanguage(), waiting, due.map((lot) => [lot.lot, lot.lines.map((line) => line.bidder)])]);
  if (rendered.get(container) === key) return;
  rendered.set(container, key);
  const headingId = nextId("result-heading");
  container.setAttribute("aria-labelledby", headingId);
  replaceChildren(
    container,
    el("h2", { id: headingId, text: t("result.title") }),
    el("p", { class: "hint result-when", text: t("result.when") }),
    due.map((lot) => lotForm(view, lot, send)),
  );
}
