// One line of text per session event, for the host's log; fields a role does not receive show as "—".

import { isolate } from "./dom.js";
import { formatWindow, listed, t, tOr } from "./i18n.js";
import { when } from "./page.js";
import { bidderName } from "./bidders.js";
import { lotName } from "./session-view.js";

/** The `{seq, kind, data}` message as a sentence in the page language. */
export function describeEvent(message, view) {
  const d = message.data ?? {};
  // What users typed is isolated inside the sentence (see isolate in dom.js).
  const who = (id, name = "") => (id ? isolate(bidderName(view, id, name)) : "—");
  const lot = (id) => (id ? isolate(lotName(view, id)) : t("objection.all_lots"));
  const vars = {
    title: isolate(d.title),
    deadline: when(d.deadline),
    reason: isolate(d.reason),
    count: Object.values(d.counts ?? {}).reduce((sum, n) => sum + n, 0),
    lot: lot(d.lot),
    choice: tOr(`quorum.${d.choice}`, d.choice ?? ""),
    ends_at: when(d.ends_at),
    bidder: who(d.bidder, d.bidder_name),
    attempt: d.attempt ?? "",
    length: formatWindow(d.seconds),
    text: isolate(d.text),
    objection_id: d.objection_id ?? "",
    deemed: listed((d.deemed_accepted ?? []).map(who)) || "—",
    stage: tOr(`stage.${d.stage}`, d.stage ?? ""),
    first: d.candidates?.length ? who(d.candidates[0].bidder) : "—",
    answer_due_at: when(d.answer_due_at),
  };
  // "deemed to accept: —" said nothing: a closing where everyone confirmed says so.
  let kind = message.kind;
  if (kind === "confirmation_closed" && !d.deemed_accepted?.length) kind = "confirmation_closed_all";
  if (kind === "result_published" && d.outcome === "failed") kind = "result_failed";
  if (kind === "result_objection_answered" && d.late) kind = "result_objection_answered_late";
  return tOr(`event.${kind}`, message.kind, vars);
}
