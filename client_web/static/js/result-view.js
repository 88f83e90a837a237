// A lot's published evaluation result for the public: the winner, the ranking, every reason.

import { bidderLabel } from "./bidders.js";
import { el, isolate } from "./dom.js";
import { labelled, t } from "./i18n.js";
import { when } from "./page.js";
import { lotName } from "./session-view.js";

/**
 * Ranked bidders first, in their order; then any bidder with a reason but no
 * rank (the host may leave a bidder unranked, never without a reason).
 */
export function resultLines(result) {
  const reasons = result.reasons ?? {};
  const ranked = (result.ranked ?? []).map((bidder, index) => ({ bidder, rank: index + 1, reason: reasons[bidder] ?? null }));
  const unranked = Object.keys(reasons)
    .filter((bidder) => !(result.ranked ?? []).includes(bidder))
    .map((bidder) => ({ bidder, rank: null, reason: reasons[bidder] }));
  return [...ranked, ...unranked];
}

/** The printed result notice of a lot (PDF/A with the signed result embedded). */
export function resultPdfPath(sessionId, lot) {
  return `/api/sessions/${encodeURIComponent(sessionId)}/results/${encodeURIComponent(lot)}.pdf`;
}

/**
 * One `<article class="result" data-lot>`: the lot, its winner, then one table
 * row per bidder (rank, name, why it did not win). The big screen pages through
 * the rows when a lot has more bidders than the hall's screen holds.
 */
export function resultArticle(view, result) {
  return el(
    "article",
    { class: "result", dataset: { lot: result.lot } },
    el("h3", { text: lotName(view, result.lot) }),
    el("p", { class: "result-winner" }, el("strong", { text: labelled(t("screen.winner")) }), bidderLabel(view, result.winner)),
    el(
      "table",
      { class: "result-ranking" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", { class: "num", attrs: { scope: "col" }, text: t("result.rank") }),
          el("th", { attrs: { scope: "col" }, text: t("result.bidder") }),
          el("th", { attrs: { scope: "col" }, text: t("screen.reason") }),
        ),
      ),
      el(
        "tbody",
        {},
        resultLines(result).map((line) =>
          el(
            "tr",
            { class: line.bidder === result.winner ? "winner" : "", dataset: { bidder: line.bidder } },
            el("td", { class: "num", text: line.rank === null ? "—" : String(line.rank) }),
            el("th", { attrs: { scope: "row" } }, bidderLabel(view, line.bidder)),
            el("td", {
              text:
                line.bidder === result.winner
                  ? t("screen.winner")
                  : line.reason
                    ? `${line.reason.clause} ${isolate(line.reason.text)}`
                    : "—",
            }),
          ),
        ),
      ),
    ),
    el("p", { class: "result-publicity", text: labelled(t("screen.publicity_ends"), when(result.publicity_ends_at)) }),
    view.tender_id
      ? el("p", { class: "result-pdf" }, el("a", { class: "button", href: resultPdfPath(view.tender_id, result.lot), attrs: { download: "" }, text: t("result.pdf") }))
      : null,
  );
}
