// The public page of one tender: its facts, countdown, the published record and the results.

import { Api } from "../api.js";
import { ServerClock, everySecond } from "../clock.js";
import { byId, download, el, replaceChildren, setText, show } from "../dom.js";
import { SessionFeed } from "../feed.js";
import { currentLanguage, formatCountdown, onLanguageChange, t } from "../i18n.js";
import { bootPage, itemLabel, pathParameter, phaseName, showCountdown, when } from "../page.js";
import { bidderName } from "../readout-table.js";
import { loadPublishedRecord } from "../record.js";
import { REFRESH_ON, applyEvent, lotName } from "../session-view.js";
import { mountVideoPanel } from "../video-panel.js";

const api = new Api();
const clock = new ServerClock();
const tenderId = pathParameter("tender");
let tender = null;
let view = null;
let record = null;

function renderFacts() {
  if (!tender) return;
  setText(byId("tender-heading"), tender.title);
  const language = currentLanguage();
  const facts = [
    [t("tender.code"), tender.code],
    [t("tender.deadline"), when(view?.deadline ?? tender.deadline)],
    [t("tender.signin_opens"), when(tender.signin_opens_at)],
    [t("tender.decryption_window"), t("time.minutes", { minutes: tender.decryption_minutes })],
    [t("tender.confirmation_window"), t("time.minutes", { minutes: tender.confirmation_minutes })],
    [t("tender.lots"), tender.lots.map((lot) => lot.name).join("、")],
    [t("tender.readout_items"), tender.readout_items.map((item) => itemLabel(item, language)).join("、")],
  ];
  replaceChildren(byId("tender-facts"), facts.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]));
}

/** Before the result: the session's own countdown; after it: the publicity period's. */
function renderCountdown() {
  if (!view) return;
  setText(byId("phase"), phaseName(view.phase, view.paused));
  const publicity = (view.results ?? []).map((result) => result.publicity_ends_at).filter(Boolean).sort().at(-1);
  if (publicity && clock.until(publicity) > 0) {
    setText(byId("countdown-caption"), t("tender.publicity"));
    setText(byId("countdown"), formatCountdown(clock.until(publicity)));
  } else {
    showCountdown(byId("countdown-caption"), byId("countdown"), view, clock);
  }
}

function renderRecord() {
  show(byId("record"), Boolean(view.record));
  if (!view.record) return;
  setText(byId("record-hash"), view.record.sha256);
  if (record?.sha256 === view.record.sha256) return;
  loadPublishedRecord(api, tenderId, view.record.sha256)
    .then((loaded) => {
      record = loaded;
      setText(byId("record-verified"), loaded.verified ? t("screen.record_verified") : t("screen.record_unverified"));
    })
    .catch(() => {});
}

function renderResults() {
  const results = view.results ?? [];
  show(byId("results"), results.length > 0);
  replaceChildren(
    byId("result-list"),
    results.map((result) =>
      el(
        "article",
        { class: "result", dataset: { lot: result.lot } },
        el("h3", { text: lotName(view, result.lot) }),
        el("p", {}, el("strong", { text: `${t("screen.winner")}：` }), bidderName(view, result.winner)),
        el("h4", { text: t("screen.reason") }),
        el(
          "ul",
          {},
          Object.entries(result.reasons ?? {}).map(([bidder, reason]) =>
            el("li", {}, el("strong", { text: `${bidderName(view, bidder)}：` }), `${reason.clause} ${reason.text}`),
          ),
        ),
        el("p", { class: "muted", text: `${t("screen.publicity_ends")}：${when(result.publicity_ends_at)}` }),
      ),
    ),
  );
}

function render() {
  if (!view) return;
  renderFacts();
  renderCountdown();
  renderRecord();
  renderResults();
}

async function main() {
  bootPage();
  onLanguageChange(render);
  byId("record-download").addEventListener("click", () => {
    if (record?.text) download(`opening-record-${tenderId}.json`, record.text, "application/json");
  });
  try {
    tender = await api.get(`/api/tenders/${encodeURIComponent(tenderId ?? "")}`);
  } catch {
    show(byId("not-found"));
    return;
  }
  show(byId("tender"));
  byId("screen-link").href = `/screen/${encodeURIComponent(tenderId)}`;
  renderFacts();
  await clock.start();
  everySecond(clock, renderCountdown);
  mountVideoPanel(byId("video"), tenderId);
  new SessionFeed({
    namespace: "/public",
    sessionId: tenderId,
    reduce: applyEvent,
    loadEvents: (after) => api.get(`/api/sessions/${encodeURIComponent(tenderId)}/events?after=${after}`),
    loadSnapshot: () => api.get(`/api/sessions/${encodeURIComponent(tenderId)}`),
    refreshOn: REFRESH_ON,
    onView: (next) => {
      view = next;
      render();
    },
  }).start();
}

main();
