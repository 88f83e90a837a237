// The opening hall from the deadline on: a row per bid, numbered, with its sign-in and decryption.

import { bidderName } from "../bidders.js";
import { el } from "../dom.js";
import { labelled, t } from "../i18n.js";
import { outcomeText } from "../readout-table.js";
import { lotName } from "../session-view.js";

/**
 * What one row says (pure): `{who, signIn, decryption, tone}`. Before the read-out a bid
 * is "bidder n" of its lot; from it on, its organisation. `tone` is `ok`, `warn`, `bad`
 * or `` for the row's colour.
 */
export function hallRow(view, row) {
  const who = row.bidder ? bidderName(view, row.bidder, row.bidder_name) : t("hall.bidder_n", { n: row.number });
  const signIn = row.signed_in ? t("hall.signed_in") : t("hall.not_signed_in");
  return { who, signIn, ...decryption(view, row) };
}

function decryption(view, row) {
  const outcome = row.outcome;
  if (outcome) {
    // From the decryption's end: 视为撤销 (the bidder's own cause) or 视为撤回 (a cause outside it).
    const tone = outcome.status === "opened" ? "ok" : outcome.status === "withdrawn" ? "warn" : "bad";
    return { decryption: outcomeText(outcome.status, outcome.cause === "decrypted" ? null : outcome.cause, outcome.item, view.readout_items), tone };
  }
  if (row.lot_stopped) return { decryption: t("hall.lot_stopped"), tone: "" };
  if (row.decrypted) return { decryption: t("hall.decrypted"), tone: "ok" };
  if (row.platform_fault) return { decryption: t("hall.platform_fault"), tone: "warn" };
  if (row.failed_attempts > 0) return { decryption: t("hall.failed", { n: row.failed_attempts }), tone: "bad" };
  return { decryption: view.phase === "decryption" ? t("hall.waiting") : t("hall.not_started"), tone: "" };
}

/** The rows as one table per lot (in the view's lot order); every text goes in as text. */
export function hallTables(view) {
  const rows = view.hall ?? [];
  return (view.lots ?? [])
    .filter((lot) => rows.some((row) => row.lot === lot.id))
    .map((lot) =>
      el(
        "div",
        { class: "table-wrap" },
        el(
          "table",
          { dataset: { lot: lot.id } },
          el("caption", { text: labelled(t("screen.lot"), lotName(view, lot.id)) }),
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              el("th", { attrs: { scope: "col" }, text: t("screen.bidder") }),
              el("th", { attrs: { scope: "col" }, text: t("hall.sign_in") }),
              el("th", { attrs: { scope: "col" }, text: t("hall.decryption") }),
            ),
          ),
          el(
            "tbody",
            {},
            rows
              .filter((row) => row.lot === lot.id)
              .map((row) => {
                const shown = hallRow(view, row);
                return el(
                  "tr",
                  { class: shown.tone ? `tone-${shown.tone}` : "", dataset: { number: String(row.number) } },
                  // A long name is cut with an ellipsis on the screen; the whole one is its title.
                  el("th", { class: "hall-who", attrs: { scope: "row", title: shown.who } }, el("bdi", { text: shown.who })),
                  el("td", { class: row.signed_in ? "signed" : "unsigned", text: shown.signIn }),
                  el("td", { class: "hall-decryption", text: shown.decryption }),
                );
              }),
          ),
        ),
      ),
    );
}

