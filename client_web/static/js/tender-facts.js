// A tender's parties (招标人, 招标代理机构) and each lot's ceiling (最高投标限价), as facts of a page.

import { el, isolate } from "./dom.js";
import { aside, t } from "./i18n.js";
import { amountParts } from "./readout-table.js";

/**
 * `<dt>`/`<dd>` pairs for a `<dl>`: the tenderer, the agency, then one ceiling per lot (with
 * separators and 大写), "—" (未设 for a ceiling) where the tender states none. The tender's body and the record
 * carry the same members: `parties` is `{tenderer, agency}`, each lot `{name, ceiling}`.
 */
export function partyFacts(parties, lots) {
  const facts = [
    ["tenderer", t("tender.tenderer"), parties?.tenderer, "—"],
    ["agency", t("tender.agency"), parties?.agency, "—"],
    ...(lots ?? []).map((lot) => [
      "ceiling",
      aside(t("tender.ceiling"), isolate(lot.name)),
      lot.ceiling ? amountParts(lot.ceiling) : null,
      t("tender.no_ceiling"),
    ]),
  ];
  // A fact the tender does not state is marked, so the hall's screen can leave it out.
  return facts.flatMap(([kind, term, value, none]) => {
    const dataset = value ? { fact: kind } : { fact: kind, unstated: "" };
    return [el("dt", { text: term, dataset }), el("dd", { dataset, attrs: { dir: "auto" } }, value || none)];
  });
}
