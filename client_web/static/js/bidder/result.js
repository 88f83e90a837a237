// The evaluation result in the bidder room: first what it says of this bidder, then each lot's whole result.

import { el, isolate, replaceChildren, show } from "../dom.js";
import { t } from "../i18n.js";
import { resultArticle, resultLines } from "../result-view.js";
import { lotName } from "../session-view.js";

/**
 * What a lot's result says of `bidder`, as `{key, vars}` for `t`: the winner, its rank and
 * the reason it did not win, or that its bid was not opened and so not evaluated.
 */
export function ownOutcome(view, result, bidder) {
  const lot = lotName(view, result.lot);
  if (result.winner === bidder) return { key: "result.you_won", vars: { lot } };
  const line = resultLines(result).find((entry) => entry.bidder === bidder);
  const bid = (view.you?.bids ?? []).find((entry) => entry.lot === result.lot);
  if (!line) {
    if (bid?.outcome && bid.outcome.status !== "opened") return { key: "result.you_not_opened", vars: { lot } };
    return { key: "result.you_not_named", vars: { lot } };
  }
  const reason = line.reason ? `${line.reason.clause} ${isolate(line.reason.text)}` : "—";
  if (line.rank === null) return { key: "result.you_unranked", vars: { lot, reason } };
  return { key: "result.you_ranked", vars: { lot, rank: line.rank, reason } };
}

/** Shown once a result of a lot the bidder bid in is published; every published lot below it. */
export function renderBidderResults(root, view) {
  const results = view.results ?? [];
  show(root, results.length > 0);
  if (!results.length) return;
  const bidder = view.you?.bidder;
  const ownLots = new Set((view.you?.bids ?? []).map((bid) => bid.lot));
  const own = results
    .filter((result) => ownLots.has(result.lot))
    .map((result) => {
      const { key, vars } = ownOutcome(view, result, bidder);
      return el("li", { dataset: { lot: result.lot, outcome: key.replace("result.", "") }, text: t(key, vars) });
    });
  replaceChildren(root.querySelector("#own-results"), own);
  replaceChildren(root.querySelector("#bidder-result-list"), results.map((result) => resultArticle(view, result)));
}
