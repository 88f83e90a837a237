// Objections and the host's answers as the public sees them: newest first, each with its answer.

import { bidderLabel } from "./bidders.js";
import { el, isolate } from "./dom.js";
import { t } from "./i18n.js";
import { when } from "./page.js";
import { lotName } from "./session-view.js";

/**
 * One `<li>` per objection of `view.objections`, the newest first. Before the
 * read-out the hub leaves the objector out (naming it would tell who bid), and
 * so does this list: it says "a bidder" until the view names one.
 */
export function objectionItems(view) {
  return [...(view.objections ?? [])].reverse().map((objection) =>
    el(
      "li",
      { class: "objection", dataset: { objection: objection.id, state: objection.answer ? "answered" : "open" } },
      el(
        "p",
        { class: "objection-head" },
        el("span", { class: "who" }, objection.bidder ? bidderLabel(view, objection.bidder, objection.bidder_name) : t("screen.a_bidder")),
        " ",
        el("span", {
          class: "objection-when",
          text: `${objection.lot ? isolate(lotName(view, objection.lot)) : t("objection.all_lots")} · ${when(objection.raised_at)}`,
        }),
      ),
      el("p", { class: "objection-text", text: objection.text, attrs: { dir: "auto" } }),
      objection.answer
        ? el("p", { class: "answer" }, el("strong", { text: t("screen.answer") }), el("bdi", { text: objection.answer }))
        : el("p", { class: "answer awaiting", text: t("screen.awaiting_answer") }),
    ),
  );
}
