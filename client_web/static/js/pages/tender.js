// The public page of one tender: its facts, countdown, the published record and the results.

import { Api, describeError } from "../api.js";
import { ServerClock, everySecond } from "../clock.js";
import { byId, el, isolate, replaceChildren, setText, show } from "../dom.js";
import { FeedState, SessionFeed } from "../feed.js";
import { currentLanguage, formatWindow, listed, onLanguageChange, t } from "../i18n.js";
import { objectionItems } from "../objection-list.js";
import { bootPage, clearMessage, itemLabel, pathParameter, showCountdown, showMessage, when } from "../page.js";
import { RecordCard } from "../record-view.js";
import { publicityKey, resultArticle, sessionStatus } from "../result-view.js";
import { partyFacts } from "../tender-facts.js";
import { REFRESH_ON, applyEvent } from "../session-view.js";
import { mountVideoPanel } from "../video-panel.js";

const api = new Api();
const clock = new ServerClock();
const tenderId = pathParameter("tender");
let tender = null;
let view = null;
const recordCard = new RecordCard(api, byId("record"));

function renderFacts() {
  if (!tender) return;
  setText(byId("tender-heading"), tender.title);
  const language = currentLanguage();
  // Values other people typed (names, lots, items) are isolated: dir="auto" on each <dd>,
  // and each name of a list in its own isolate.
  const facts = [
    [t("tender.organisation"), tender.organisation?.name || "—"],
    [t("tender.code"), tender.code],
    [t("tender.deadline"), when(view?.deadline ?? tender.deadline)],
    [t("tender.signin_opens"), when(tender.signin_opens_at)],
    [t("tender.decryption_window"), formatWindow(tender.decryption_seconds)],
    [t("tender.confirmation_window"), formatWindow(tender.confirmation_seconds)],
    [t("tender.lots"), listed(tender.lots.map((lot) => isolate(lot.name)))],
    [t("tender.readout_items"), listed(tender.readout_items.map((item) => isolate(itemLabel(item, language))))],
  ];
  const pairs = (list) => list.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value, attrs: { dir: "auto" } })]);
  // The parties and each lot's ceiling (as the record will state them) after the code.
  replaceChildren(byId("tender-facts"), pairs(facts.slice(0, 2)), partyFacts(tender.parties, tender.lots), pairs(facts.slice(2)));
}

/** The session's countdown; once a result is out, its publicity period's. */
function renderCountdown() {
  if (!view) return;
  setText(byId("phase"), sessionStatus(view, clock));
  showCountdown(byId("countdown-caption"), byId("countdown"), view, clock);
  // A publicity ending or an answer falling due changes the results without an event.
  if (publicityKey(view, clock.now()) !== shownPublicity) renderResults();
}

let shownPublicity = null;

function renderObjections() {
  const items = objectionItems(view);
  show(byId("objections"), items.length > 0);
  replaceChildren(byId("objection-list"), items);
}

function renderResults() {
  const now = clock.now();
  shownPublicity = publicityKey(view, now);
  const results = view.results ?? [];
  show(byId("results"), results.length > 0);
  replaceChildren(byId("result-list"), results.map((result) => resultArticle(view, result, now)));
}

function render() {
  if (!view) return;
  renderFacts();
  renderCountdown();
  recordCard.render(tenderId, view.record);
  renderObjections();
  renderResults();
}

async function main() {
  bootPage();
  onLanguageChange(render);
  byId("record-download").addEventListener("click", () => recordCard.download(tenderId));
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
    onState: (state) => {
      if (state === FeedState.ONLINE) clearMessage(byId("feed-refused"));
    },
    onError: (error) => {
      // A dropped network is retried quietly; the hub's own refusal is said.
      if (error?.code && error.code !== "socket") showMessage(byId("feed-refused"), describeError(error), "warn");
    },
  }).start();
}

main();
