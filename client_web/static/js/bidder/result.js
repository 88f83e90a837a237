// The evaluation result in the bidder room: what it says of this bidder, each lot's whole
// result, and during a result's publicity the bidder's objection to it (异议).

import { b64uEncode, resultObjectionMessage, signStatement } from "/static/vendor/bidseal.bundle.js";
import { describeError } from "../api.js";
import { byId, el, isolate, replaceChildren, show } from "../dom.js";
import { t } from "../i18n.js";
import { clearMessage, showMessage } from "../page.js";
import { publicityKey, publicityStatus, resultArticle, resultLines } from "../result-view.js";
import { lotName } from "../session-view.js";

/**
 * What a lot's result says of `bidder`, as `{key, vars}` for `t`: its rank among the
 * candidates, its bid rejected or not ranked with the reason, its bid not opened, or the lot
 * failed (流标).
 */
export function ownOutcome(view, result, bidder) {
  const lot = lotName(view, result.lot);
  const line = resultLines(view, result).find((entry) => entry.bidder === bidder);
  if (line?.candidate) return { key: "result.you_candidate", vars: { lot, rank: line.rank } };
  if (line?.reason) {
    const reason = line.reason.clause ? `${isolate(line.reason.clause)} ${isolate(line.reason.text)}` : isolate(line.reason.text);
    return { key: `result.you_${line.reason.disposition}`, vars: { lot, reason } };
  }
  if (result.outcome === "failed") return { key: "result.you_failed", vars: { lot, reason: isolate(result.failure) } };
  const bid = (view.you?.bids ?? []).find((entry) => entry.lot === result.lot);
  if (bid?.outcome && bid.outcome.status !== "opened") return { key: "result.you_not_opened", vars: { lot } };
  return { key: "result.you_not_named", vars: { lot } };
}

/** Lots of the bidder's own bids whose result is in its publicity: those it may object to. */
export function objectableLots(view, nowMs) {
  const own = new Set((view.you?.bids ?? []).map((bid) => bid.lot));
  return (view.results ?? []).filter((result) => own.has(result.lot) && publicityStatus(result, nowMs) === "running").map((result) => result.lot);
}

let shownKey = null;

/** Shown once a result is published; every published lot below what it says of this bidder. */
export function renderBidderResults(root, view, nowMs) {
  const results = view.results ?? [];
  show(root, results.length > 0);
  if (!results.length) return;
  const key = JSON.stringify([view.seq, publicityKey(view, nowMs), document.documentElement.lang]);
  if (key === shownKey) return;
  shownKey = key;
  const bidder = view.you?.bidder;
  const ownLots = new Set((view.you?.bids ?? []).map((bid) => bid.lot));
  const own = results
    .filter((result) => ownLots.has(result.lot))
    .map((result) => {
      const { key: textKey, vars } = ownOutcome(view, result, bidder);
      return el("li", { dataset: { lot: result.lot, outcome: textKey.replace("result.you_", "") }, text: t(textKey, vars) });
    });
  replaceChildren(root.querySelector("#own-results"), own);
  replaceChildren(root.querySelector("#bidder-result-list"), results.map((result) => resultArticle(view, result, nowMs)));
  renderObjectionForm(view, nowMs);
}

function renderObjectionForm(view, nowMs) {
  const lots = objectableLots(view, nowMs);
  show(byId("result-objection-form"), lots.length > 0);
  const select = byId("result-objection-lot");
  const chosen = select.value;
  replaceChildren(
    select,
    lots.map((lot) => el("option", { value: lot, text: lotName(view, lot), selected: lot === chosen })),
  );
}

/** Send the bidder's objection to a result; the room's feed brings it back with the answer. */
export function bindResultObjection(room) {
  byId("result-objection-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = byId("result-objection-message");
    const field = byId("result-objection-text");
    clearMessage(message);
    field.removeAttribute("aria-invalid");
    const text = field.value.trim();
    if (!text) {
      field.setAttribute("aria-invalid", "true");
      showMessage(message, t("objection.empty"), "error");
      field.focus();
      return;
    }
    const lot = byId("result-objection-lot").value;
    try {
      // Signed here, with the bidder's own key, over what it says of which lot.
      const keys = await room.requireKeys();
      const nonce = b64uEncode(crypto.getRandomValues(new Uint8Array(16)));
      const signature = await signStatement(keys, resultObjectionMessage(room.tenderId, room.bidderId, lot, nonce, text));
      await room.api.post(`/api/sessions/${encodeURIComponent(room.tenderId)}/bidder/object_to_result`, { lot, text, nonce, signature });
      field.value = "";
      showMessage(message, t("result_objection.sent"), "ok");
    } catch (error) {
      showMessage(message, describeError(error), "error");
    }
  });
}
