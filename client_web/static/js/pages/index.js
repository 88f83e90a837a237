// The front page: where to go, and every tender with its public page and big screen.

import { Api } from "../api.js";
import { ServerClock } from "../clock.js";
import { byId, el, replaceChildren } from "../dom.js";
import { onLanguageChange, t } from "../i18n.js";
import { bootPage, phaseName, when } from "../page.js";

// New tenders appear without a reload; the list is small and public, so a poll is enough.
const REFRESH_MS = 10_000;

const api = new Api();
const clock = new ServerClock();
let tenders = [];
let demo = null;

/** The phase as it stands: a deadline that passed is not "waiting for the opening" any more. */
function status(tender) {
  if (tender.phase === "scheduled" && tender.deadline && clock.until(tender.deadline) <= 0) {
    return t("phase.deadline_passed");
  }
  return phaseName(tender.phase);
}

function renderDemo() {
  const note = byId("demo-pace");
  note.hidden = !demo?.demo;
  if (!demo?.demo) return;
  note.textContent = t("index.demo", {
    round: Math.max(1, Math.round(demo.round_seconds / 60)),
    countdown: demo.countdown_seconds,
    window: demo.window_seconds,
    days: demo.publicity_days,
    publicity: demo.publicity_seconds,
  });
}

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
            el("span", { class: "badge", text: status(tender) }),
            el("a", { class: "button", href: `/screen/${encodeURIComponent(tender.id)}`, text: t("tender.screen_link") }),
          ),
        )
      : el("li", { class: "muted", text: t("tender.none") }),
  );
}

async function refresh() {
  ({ tenders } = await api.get("/api/tenders?limit=100"));
  render();
}

async function main() {
  bootPage();
  onLanguageChange(() => {
    renderDemo();
    render();
  });
  await clock.start();
  demo = await api.get("/api/demo").catch(() => null);
  renderDemo();
  await refresh();
  setInterval(() => refresh().catch((error) => console.warn("tender list:", error.message)), REFRESH_MS);
}

main();
