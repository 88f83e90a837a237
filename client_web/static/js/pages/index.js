// The front page: where to go, and every tender with its public page and big screen.

import { Api } from "../api.js";
import { byId, el, replaceChildren } from "../dom.js";
import { onLanguageChange, t } from "../i18n.js";
import { bootPage, phaseName, when } from "../page.js";

const api = new Api();
let tenders = [];

function render() {
  replaceChildren(
    byId("tender-list"),
    tenders.length
      ? tenders.map((tender) =>
          el(
            "li",
            { dataset: { tender: tender.id } },
            el(
              "span",
              { class: "grow" },
              el("a", { href: `/tender/${encodeURIComponent(tender.id)}`, text: tender.title }),
              el("br"),
              el("span", { class: "mono muted", text: `${tender.code} · ${t("tender.deadline")} ${when(tender.deadline)}` }),
            ),
            el("span", { class: "badge", text: phaseName(tender.phase) }),
            el("a", { class: "button", href: `/screen/${encodeURIComponent(tender.id)}`, text: t("tender.screen_link") }),
          ),
        )
      : el("li", { class: "muted", text: t("tender.none") }),
  );
}

async function main() {
  bootPage();
  onLanguageChange(render);
  ({ tenders } = await api.get("/api/tenders?limit=100"));
  render();
}

main();
