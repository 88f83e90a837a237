// The front page: where to go, and every tender with its public page and big screen.

import { Api } from "../api.js";
import { ServerClock, everySecond } from "../clock.js";
import { byId, el, replaceChildren, setText, show } from "../dom.js";
import { formatCountdown, labelled, onLanguageChange, t } from "../i18n.js";
import { bootPage, phaseName, when } from "../page.js";
import { publicityPhase } from "../result-view.js";

// New tenders appear without a reload; the list is small and public, so a poll is enough.
const REFRESH_MS = 10_000;

const api = new Api();
const clock = new ServerClock();
let tenders = [];
let demo = null;

/**
 * The status as the tender's own page says it: the phase (a deadline that passed is not
 * "waiting for the opening" any more), or once a result is out the publicity's, 公示中 with
 * the time left or 公示结束.
 */
function status(tender) {
  const now = clock.now();
  if (tender.publicity_ends_at) {
    const results = [{ publicity_ends_at: tender.publicity_ends_at }];
    const publicity = publicityPhase({ phase: tender.phase, results }, now);
    if (publicity) {
      const left = Date.parse(tender.publicity_ends_at) - now;
      return { text: publicity, left: left > 0 ? labelled(t("countdown.publicity"), formatCountdown(left)) : "" };
    }
  }
  if (tender.phase === "scheduled" && tender.deadline && clock.until(tender.deadline) <= 0) {
    return { text: t("phase.deadline_passed"), left: "" };
  }
  return { text: phaseName(tender.phase), left: "" };
}

// The status cells of the listed tenders, which the clock changes every second.
let statusCells = [];

function renderStatuses() {
  for (const { tender, badge, left } of statusCells) {
    const now = status(tender);
    setText(badge, now.text);
    setText(left, now.left);
    show(left, now.left !== "");
  }
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

function tenderItem(tender) {
  const badge = el("span", { class: "badge", dataset: { role: "status" } });
  const left = el("span", { class: "muted", dataset: { role: "publicity-left" } });
  statusCells.push({ tender, badge, left });
  return el(
    "li",
    { dataset: { tender: tender.id } },
    el(
      "span",
      { class: "grow" },
      el("a", { href: `/tender/${encodeURIComponent(tender.id)}`, text: tender.title }),
      el("br"),
      el("span", { class: "mono muted", text: `${tender.code} · ${t("tender.deadline")} ${when(tender.deadline)}` }),
    ),
    badge,
    left,
    el("a", { class: "button", href: `/screen/${encodeURIComponent(tender.id)}`, text: t("tender.screen_link") }),
  );
}

function render() {
  statusCells = [];
  replaceChildren(
    byId("tender-list"),
    tenders.length ? tenders.map(tenderItem) : el("li", { class: "muted", text: t("tender.none") }),
  );
  renderStatuses();
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
  everySecond(clock, renderStatuses);
  setInterval(() => refresh().catch((error) => console.warn("tender list:", error.message)), REFRESH_MS);
}

main();
