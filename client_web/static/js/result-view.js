// A lot's published result for everyone: 中标候选人 ranked first to third (or 流标), every other
// bid with its reason, the publicity period's status, and the objections to it with answers.

import { bidderLabel } from "./bidders.js";
import { el, isolate } from "./dom.js";
import { aside, formatCountdown, labelled, t } from "./i18n.js";
import { phaseName, when } from "./page.js";
import { formatAmount } from "./readout-values.js";
import { lotName } from "./session-view.js";

/** `running` (公示中) before the result's `publicity_ends_at` by the hub's clock, else `ended`. */
export function publicityStatus(result, nowMs) {
  return nowMs < Date.parse(result.publicity_ends_at) ? "running" : "ended";
}

/** What changes the result panels while nobody acts: a publicity ending, an answer falling due. */
export function publicityKey(view, nowMs) {
  const results = (view.results ?? []).map((result) => publicityStatus(result, nowMs));
  const overdue = (view.result_objections ?? []).map((objection) => objectionState(objection, nowMs));
  return `${results.join()}|${overdue.join()}`;
}

/** The printed result notice of a lot (PDF/A with the signed result embedded). */
export function resultPdfPath(sessionId, lot) {
  return `/api/sessions/${encodeURIComponent(sessionId)}/results/${encodeURIComponent(lot)}.pdf`;
}

/**
 * The status a session page shows beside its countdown: once a result is out it is the
 * publicity's (公示中 / 公示结束), with the lots still in evaluation said beside it, so
 * 评标进行中 never stands beside 公示期剩余. `null` before any result.
 */
export function publicityPhase(view, nowMs) {
  const results = view.results ?? [];
  if (results.length === 0 || !["evaluation", "result_published"].includes(view.phase)) return null;
  const running = results.some((result) => publicityStatus(result, nowMs) === "running");
  const status = t(running ? "publicity.running" : "publicity.ended");
  return view.phase === "evaluation" ? aside(status, t("publicity.others_evaluated")) : status;
}

/**
 * The status a session page shows: the phase, or once a result is out the publicity's
 * (公示中 / 公示结束), which is what the countdown beside it counts.
 */
export function sessionStatus(view, clock) {
  return publicityPhase(view, clock.now()) ?? phaseName(view.phase, view.paused);
}

/** `answered`, `late` (answered after its due date), `overdue` (unanswered past it) or `open`. */
export function objectionState(objection, nowMs) {
  if (objection.answer !== null && objection.answer !== undefined) return objection.late ? "late" : "answered";
  return nowMs >= Date.parse(objection.answer_due_at) ? "overdue" : "open";
}

/**
 * Every bid of the lot in the result's order: the candidates by rank, then the reasons
 * (rejected before not ranked), then bids that were not opened and have no reason.
 */
export function resultLines(view, result) {
  const reasons = result.reasons ?? {};
  const candidates = (result.candidates ?? []).map((candidate, index) => ({
    bidder: candidate.bidder,
    rank: index + 1,
    candidate,
    reason: null,
  }));
  const order = { rejected: 0, not_ranked: 1 };
  const explained = Object.entries(reasons)
    .sort(([, a], [, b]) => (order[a.disposition] ?? 2) - (order[b.disposition] ?? 2))
    .map(([bidder, reason]) => ({ bidder, rank: null, candidate: null, reason }));
  const named = new Set([...candidates, ...explained].map((line) => line.bidder));
  const readout = (view.readout ?? []).find((entry) => entry.lot === result.lot)?.lines ?? [];
  const unopened = readout
    .filter((line) => !named.has(line.bidder) && line.status !== "opened")
    .map((line) => ({ bidder: line.bidder, rank: null, candidate: null, reason: null, status: line.status }));
  return [...candidates, ...explained, ...unopened];
}

function outcomeText(line) {
  if (line.candidate) return t("result.candidate_rank", { rank: line.rank });
  if (line.reason) return t(`result.disposition_${line.reason.disposition}`);
  return t(`result.not_opened_${line.status}`);
}

function reasonText(line) {
  if (line.candidate) {
    const parts = [];
    if (line.candidate.price) parts.push(labelled(t("result.price"), formatAmount(line.candidate.price)));
    if (line.candidate.score) parts.push(labelled(t("result.score"), line.candidate.score));
    return parts.join(" · ") || "—";
  }
  if (line.reason) return line.reason.clause ? `${isolate(line.reason.clause)} ${isolate(line.reason.text)}` : isolate(line.reason.text);
  return "—";
}

function publicityLine(result, nowMs) {
  const running = publicityStatus(result, nowMs) === "running";
  const left = Date.parse(result.publicity_ends_at) - nowMs;
  const text = running
    ? t("publicity.running_until", { at: when(result.publicity_ends_at), left: formatCountdown(left) })
    : t("publicity.ended_at", { at: when(result.publicity_ends_at) });
  return el("p", { class: "result-publicity", dataset: { status: running ? "running" : "ended" }, text });
}

/** The objections to this lot's result, oldest first, each with its answer or its due date. */
export function resultObjectionItems(view, lot, nowMs) {
  return (view.result_objections ?? [])
    .filter((objection) => objection.lot === lot)
    .map((objection) => {
      const state = objectionState(objection, nowMs);
      const answer = objection.answer
        ? el(
            "p",
            { class: "answer" },
            el("strong", { text: t("screen.answer") }),
            el("bdi", { text: objection.answer }),
            state === "late" ? el("span", { class: "badge warn", text: t("result_objection.late") }) : null,
          )
        : el("p", {
            class: `answer awaiting${state === "overdue" ? " overdue" : ""}`,
            text: t(state === "overdue" ? "result_objection.overdue" : "result_objection.due", {
              at: when(objection.answer_due_at),
            }),
          });
      return el(
        "li",
        { class: "objection", dataset: { objection: objection.id, state } },
        el(
          "p",
          { class: "objection-head" },
          el("span", { class: "who" }, bidderLabel(view, objection.bidder, objection.bidder_name)),
          " ",
          el("span", { class: "objection-when", text: `${objection.id} · ${when(objection.raised_at)}` }),
        ),
        el("p", { class: "objection-text", text: objection.text, attrs: { dir: "auto" } }),
        answer,
      );
    });
}

/**
 * One `<article class="result" data-lot data-outcome>`: the lot and what its result
 * declares (中标候选人公示 or 流标), one table row per bid (rank or disposition, name,
 * price and score or the reason), the publicity's status, the objections and answers.
 * The big screen pages through the rows when a lot has more bids than the hall holds.
 */
export function resultArticle(view, result, nowMs = Date.now()) {
  const failed = result.outcome === "failed";
  const objections = resultObjectionItems(view, result.lot, nowMs);
  return el(
    "article",
    { class: "result", dataset: { lot: result.lot, outcome: result.outcome } },
    el("h3", { text: `${lotName(view, result.lot)} · ${t(failed ? "result.outcome_failed" : "result.outcome_candidates")}` }),
    failed ? el("p", { class: "result-failure" }, el("strong", { text: labelled(t("result.failure")) }), el("bdi", { text: result.failure })) : null,
    el(
      "table",
      { class: "result-ranking" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", { attrs: { scope: "col" }, text: t("result.outcome") }),
          el("th", { attrs: { scope: "col" }, text: t("result.bidder") }),
          el("th", { attrs: { scope: "col" }, text: t("result.detail") }),
        ),
      ),
      el(
        "tbody",
        {},
        resultLines(view, result).map((line) =>
          el(
            "tr",
            {
              class: line.candidate ? "candidate" : "",
              dataset: { bidder: line.bidder, disposition: line.candidate ? "candidate" : (line.reason?.disposition ?? "not_opened") },
            },
            el("td", { class: "result-outcome", text: outcomeText(line) }),
            el("th", { attrs: { scope: "row" } }, bidderLabel(view, line.bidder)),
            el("td", { text: reasonText(line) }),
          ),
        ),
      ),
    ),
    publicityLine(result, nowMs),
    objections.length
      ? el("section", { class: "result-objections" }, el("h4", { text: t("result_objection.title") }), el("ol", { class: "objection-list" }, objections))
      : null,
    view.tender_id
      ? el("p", { class: "result-pdf" }, el("a", { class: "button", href: resultPdfPath(view.tender_id, result.lot), attrs: { download: "" }, text: t("result.pdf") }))
      : null,
  );
}
