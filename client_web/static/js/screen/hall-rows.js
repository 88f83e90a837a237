// The opening hall from the deadline on: a row per bid, numbered, with its sign-in and decryption.

import { bidderName } from "../bidders.js";
import { el } from "../dom.js";
import { aside, labelled, t, tOr } from "../i18n.js";
import { outcomeText } from "../readout-table.js";
import { lotName } from "../session-view.js";

/**
 * What one row says (pure): `{who, signIn, decryption, full, tone}`. Before the read-out a
 * bid is "bidder n" of its lot; from it on, its organisation. `decryption` is the status as
 * the cell shows it, on one line beside the others; `full` the whole of it with its cause
 * as the read-out and the record say it (the cell's title and accessible name). `tone` is
 * `ok`, `warn`, `bad` or `` for the row's colour.
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
    const cause = outcome.cause === "decrypted" ? null : outcome.cause;
    const full = outcomeText(outcome.status, cause, outcome.item, view.readout_items);
    // The cause in a word or two: the whole of it (an item's label may be long) would not
    // fit the side column on one line.
    const shown = cause ? aside(tOr(`status.${outcome.status}`, outcome.status), tOr(`hall.cause_${cause}`, cause)) : full;
    return { decryption: shown, full, tone };
  }
  return only(view, row);
}

function only(view, row) {
  const said = (key, tone, vars = {}) => ({ decryption: t(key, vars), full: t(key, vars), tone });
  if (row.lot_stopped) return said("hall.lot_stopped", "");
  if (row.decrypted) return said("hall.decrypted", "ok");
  if (row.platform_fault) return said("hall.platform_fault", "warn");
  if (row.failed_attempts > 0) return said("hall.failed", "bad", { n: row.failed_attempts });
  return said(view.phase === "decryption" ? "hall.waiting" : "hall.not_started", "");
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
                  el("td", {
                    class: "hall-decryption",
                    text: shown.decryption,
                    attrs: shown.full === shown.decryption ? {} : { title: shown.full, "aria-label": shown.full },
                  }),
                );
              }),
          ),
        ),
      ),
    );
}

