// The host console: log in, create tenders, and run an opening from sign-in to the published record.

import { Api, ApiError, describeError } from "../api.js";
import { bidderLabel } from "../bidders.js";
import { ServerClock, everySecond } from "../clock.js";
import { byId, el, replaceChildren, setText, show } from "../dom.js";
import { describeEvent } from "../event-text.js";
import { FeedState, SessionFeed } from "../feed.js";
import { HostControls } from "../host/controls.js";
import { DocumentsCard } from "../host/documents.js";
import { renderResultForm } from "../host/result-form.js";
import { bindHostLogin, logOutHost, resumeHostLogin } from "../host/sign-in.js";
import { bindTenderForm, readTenderForm, resetTenderForm } from "../host/tender-form.js";
import { aside, onLanguageChange, t, tOr } from "../i18n.js";
import {
  bootPage,
  busy,
  clearMessage,
  connectionIndicator,
  phaseName,
  showCountdown,
  showMessage,
  showRefusal,
  when,
} from "../page.js";
import { readoutTables } from "../readout-table.js";
import { RecordCard } from "../record-view.js";
import { objectionState, publicityKey, resultArticle, sessionStatus } from "../result-view.js";
import { lotName, progress } from "../session-view.js";

const api = new Api();
const clock = new ServerClock();
let feed = null;
let view = null;
let tenderId = null;
let controls = null;
let recordCard = null;
let documentsCard = null;
let timeline = [];
let listedPhase = null;
let setConnection = () => {};
let organisationId = "";

// ---- sign-in ---------------------------------------------------------------------------

async function enterConsole() {
  const me = await api.get("/api/host/me");
  organisationId = me.organisation?.id ?? "";
  show(byId("login-form"), false);
  show(byId("console"));
  setText(byId("who-organisation"), me.organisation?.name ?? "");
  setText(byId("who-name"), me.username);
  // The connection is the open session's live feed: shown once a tender is opened, not as
  // "connecting" before there is anything to connect to.
  for (const id of ["who", "logout"]) show(byId(id));
  resetTenderForm(clock.now());
  await loadTenders();
}

// ---- tenders ---------------------------------------------------------------------------

async function loadTenders() {
  // The console lists its organisation's tenders: the only ones this host may run.
  const { tenders } = await api.get(`/api/tenders?limit=200&organisation=${encodeURIComponent(organisationId)}`);
  replaceChildren(
    byId("tender-list"),
    tenders.length
      ? tenders.map((tender) =>
          el(
            "li",
            { dataset: { tender: tender.id } },
            el("span", { class: "grow" }, el("strong", { text: tender.title }), el("br"), el("span", { class: "mono muted", text: tender.code })),
            el("span", { class: "badge", text: phaseName(tender.phase) }),
            el("button", {
              type: "button",
              text: t("host.open_session"),
              attrs: { "aria-current": tender.id === tenderId ? "true" : null },
              on: { click: () => selectTender(tender.id) },
            }),
          ),
        )
      : el("li", { class: "muted", text: t("tender.none") }),
  );
}

async function submitCreate() {
  const message = byId("create-message");
  clearMessage(message);
  try {
    const created = await api.post("/api/tenders", readTenderForm());
    showMessage(message, t("create.done", { code: created.code }), "ok");
    // True until the form is used again or another tender is opened.
    const stale = () => clearMessage(message);
    byId("create-form").addEventListener("input", stale, { once: true });
    byId("tender-list").addEventListener("click", stale, { once: true });
    resetTenderForm(clock.now());
    await loadTenders();
    await selectTender(created.id);
  } catch (error) {
    showRefusal(message, error, byId("create-form"));
  }
}

// ---- one session -----------------------------------------------------------------------

async function selectTender(id) {
  feed?.stop();
  tenderId = id;
  view = null;
  recordCard = new RecordCard(api, byId("record-card"));
  documentsCard = new DocumentsCard(api, byId("documents-card"));
  timeline = [];
  clearMessage(byId("session-message"));
  show(byId("session"));
  show(byId("connection"));
  byId("screen-link").href = `/screen/${encodeURIComponent(id)}`;
  byId("tender-link").href = `/tender/${encodeURIComponent(id)}`;
  // The camera page opens on this tender, so the room films the session the host runs.
  byId("camera-link").href = `/camera?session=${encodeURIComponent(id)}`;
  replaceChildren(byId("timeline"));
  controls = new HostControls(sendCommand);
  await loadTimeline();
  feed = new SessionFeed({
    namespace: "/host",
    sessionId: id,
    auth: { token: api.token },
    onView: (next) => {
      view = next;
      renderSession();
    },
    onEvents: (events) => appendTimeline(events),
    onState: setConnection,
    onError: (error) => {
      setConnection.refused(error);
      console.warn("feed:", describeError(error));
    },
  }).start();
  await loadTenders();
  byId("session").scrollIntoView({ block: "start" });
}

/** Post a host command; true when the hub accepted it (the feed brings the change). */
async function sendCommand(command, body, { confirm = null, form = null } = {}) {
  const message = byId("session-message");
  clearMessage(message);
  if (confirm && !window.confirm(confirm)) return false;
  try {
    await api.post(`/api/sessions/${encodeURIComponent(tenderId)}/host/${command}`, body);
    showMessage(message, t("control.done", { command: tOr(`command.${command}`, command) }), "ok");
    return true;
  } catch (error) {
    showRefusal(message, error, form);
    return false;
  }
}

async function loadTimeline() {
  let after = 0;
  for (;;) {
    const page = await api.get(`/api/sessions/${encodeURIComponent(tenderId)}/events?after=${after}`);
    appendTimeline(page.events);
    if (!page.more || page.events.length === 0) break;
    after = page.last_seq;
  }
}

function appendTimeline(events) {
  const last = timeline.at(-1)?.seq ?? 0;
  const fresh = events.filter((event) => event.seq > last);
  if (fresh.length === 0) return;
  timeline.push(...fresh);
  renderTimeline();
}

function renderTimeline() {
  const context = view ?? { lots: [], bidder_names: {} };
  replaceChildren(
    byId("timeline"),
    [...timeline].reverse().map((event) =>
      el(
        "li",
        { dataset: { seq: event.seq, kind: event.kind } },
        el("time", { text: `#${event.seq} ${when(event.data?.at)}` }),
        describeEvent(event, context),
      ),
    ),
  );
}

function renderCountdown() {
  if (!view) return;
  setText(byId("phase"), sessionStatus(view, clock));
  showCountdown(byId("countdown-caption"), byId("countdown"), view, clock);
  // A publicity ending or an answer falling due changes the results without an event.
  if (publicityKey(view, clock.now()) !== shownPublicity) renderResults();
}

let shownPublicity = null;

function renderResults() {
  const now = clock.now();
  shownPublicity = publicityKey(view, now);
  const results = view.results ?? [];
  show(byId("results-card"), results.length > 0);
  replaceChildren(byId("result-list"), results.map((result) => resultArticle(view, result, now)));
  renderResultObjections();
}

function renderBids() {
  const counts = progress(view);
  replaceChildren(
    byId("session-counts"),
    [
      [t("screen.signed_in"), counts.signedIn ?? "—"],
      [t("screen.bids"), counts.bids ?? t("host.bids_hidden")],
      [t("screen.decrypted"), counts.decrypted === null ? "—" : `${counts.decrypted} / ${counts.bids}`],
      [t("host.confirmed"), view.confirmed_count ?? "—"],
    ].flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: String(value) })]),
  );
  const bids = view.bids ?? [];
  replaceChildren(
    byId("bids-table").tBodies[0],
    bids.length
      ? bids.map((bid) =>
          el(
            "tr",
            { dataset: { lot: bid.lot, bidder: bid.bidder } },
            el("td", { text: lotName(view, bid.lot) }),
            el("th", { attrs: { scope: "row" } }, bidderLabel(view, bid.bidder, bid.bidder_name)),
            el("td", { text: bid.signed_in ? t("host.yes") : t("host.no") }),
            el("td", {
              text: bid.decrypted_at
                ? when(bid.decrypted_at)
                : bid.failed_attempts
                  ? t("opening.failed", { n: bid.failed_attempts })
                  : "—",
            }),
            el("td", {
              text: bid.outcome
                ? aside(tOr(`status.${bid.outcome.status}`, bid.outcome.status), tOr(`cause.${bid.outcome.cause}`, bid.outcome.cause))
                : "—",
            }),
          ),
        )
      : el("tr", {}, el("td", { colSpan: 5, class: "muted", text: view.phase === "scheduled" ? t("host.secret_until_deadline") : t("submit.none") })),
  );
}

function renderObjections() {
  const objections = view.objections ?? [];
  show(byId("objections-card"), objections.length > 0);
  keepTyped(byId("objection-list"), objections, (objection) => (objection.answer ? "answered" : "open"), (objection, stateKey) =>
    objectionItem(objection, stateKey, "answer_objection", objection.lot ? lotName(view, objection.lot) : t("objection.all_lots")),
  );
}

/** Objections to results: each with the date its answer is due, flagged once overdue. */
function renderResultObjections() {
  const objections = view.result_objections ?? [];
  show(byId("result-objections-card"), objections.length > 0);
  const now = clock.now();
  keepTyped(byId("result-objection-list"), objections, (objection) => objectionState(objection, now), (objection, stateKey) => {
    const item = objectionItem(objection, stateKey, "answer_result_objection", lotName(view, objection.lot));
    const due =
      stateKey === "answered" || stateKey === "late"
        ? t(stateKey === "late" ? "result_objection.late" : "result_objection.answered")
        : t(stateKey === "overdue" ? "result_objection.overdue" : "result_objection.due", { at: when(objection.answer_due_at) });
    item.firstChild.insertBefore(
      el("p", { class: `due ${stateKey === "overdue" || stateKey === "late" ? "message warn" : "muted"}`, text: due }),
      item.firstChild.querySelector("form"),
    );
    return item;
  });
}

/** Rebuild only the items whose state changed, so an answer being typed stays. */
function keepTyped(list, objections, stateOf, build) {
  const existing = new Map([...list.children].map((item) => [item.dataset.objection, item]));
  const items = objections.map((objection) => {
    const stateKey = stateOf(objection);
    const kept = existing.get(objection.id);
    if (kept && kept.dataset.state === stateKey) return kept;
    return build(objection, stateKey);
  });
  replaceChildren(list, items);
}

function objectionItem(objection, stateKey, command, where) {
  const item = el(
    "li",
    { class: "objection", dataset: { objection: objection.id, state: stateKey } },
    el(
      "div",
      { class: "grow" },
      el("strong", {}, `${objection.id} · `, bidderLabel(view, objection.bidder, objection.bidder_name)),
      " ",
      el("span", { class: "muted", text: `${where} · ${when(objection.raised_at)}` }),
      el("p", { text: objection.text }),
      objection.answer ? el("span", { class: "answer", text: `${t("screen.answer")}${objection.answer}` }) : null,
    ),
  );
  if (!objection.answer) {
    const input = el("textarea", { id: `answer-${objection.id}`, name: "text", required: true, maxLength: 2000, rows: 2 });
    const button = el("button", { type: "submit", class: "primary", text: t("host.answer_button") });
    const form = el(
      "form",
      { attrs: { novalidate: true } },
      el("label", { htmlFor: input.id, text: t("host.answer") }),
      input,
      el("div", { class: "actions" }, button),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(button, () => sendCommand(command, { objection_id: objection.id, text: input.value.trim() }, { form }));
    });
    item.firstChild.append(form);
  }
  return item;
}

function renderSession() {
  if (!view) return;
  setText(byId("session-title"), view.title);
  setText(byId("session-code"), view.code);
  renderCountdown();
  renderBids();
  controls.render(view);
  show(byId("readout-card"), Boolean(view.readout));
  if (view.readout) replaceChildren(byId("readout-tables"), readoutTables(view));
  renderObjections();
  recordCard.render(tenderId, view.record);
  documentsCard.render(tenderId, view);
  renderResultForm(byId("result-card"), view, sendCommand);
  renderResults();
  renderTimeline();
  if (view.phase !== listedPhase) {
    listedPhase = view.phase;
    loadTenders().catch(() => {});
  }
}

// ---- start -----------------------------------------------------------------------------

async function main() {
  bootPage();
  bindTenderForm();
  setConnection = connectionIndicator();
  setConnection(FeedState.CONNECTING);
  bindHostLogin(api, enterConsole);
  byId("create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy(byId("create-form").querySelector('button[type="submit"]'), submitCreate);
  });
  byId("logout").addEventListener("click", () => logOutHost(api));
  byId("record-download").addEventListener("click", () => recordCard?.download(tenderId));
  onLanguageChange(() => {
    if (tenderId) {
      controls = new HostControls(sendCommand);
      renderSession();
    }
    loadTenders().catch(() => {});
  });
  // The clock syncs meanwhile: signing in does not wait for it.
  clock.start();
  everySecond(clock, renderCountdown);
  await resumeHostLogin(api, enterConsole);
  window.bidopenHost = { view: () => view, tenderId: () => tenderId };
}

main().catch((error) => {
  if (error instanceof ApiError) console.warn(describeError(error));
  else throw error;
});
