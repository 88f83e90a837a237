// The public big screen: no login, one screenful per phase, the read-out at once and read aloud.

import { Api, describeError } from "../api.js";
import { ServerClock, everySecond } from "../clock.js";
import { byId, el, replaceChildren, setText, show } from "../dom.js";
import { SessionFeed } from "../feed.js";
import { currentLanguage, formatDateTime, formatDuration, formatWindow, labelled, listed, onLanguageChange, t, tOr } from "../i18n.js";
import { objectionItems } from "../objection-list.js";
import {
  bootPage,
  connectionIndicator,
  itemLabel,
  pathParameter,
  phaseName,
  showCountdown,
  when,
} from "../page.js";
import { readoutTables, spokenReadout } from "../readout-table.js";
import { RecordCard } from "../record-view.js";
import { publicityKey, resultArticle, sessionStatus } from "../result-view.js";
import { hallTables } from "../screen/hall-rows.js";
import { screenLayout } from "../screen/layout.js";
import { mountLogLine } from "../screen/logline.js";
import { Pager } from "../screen/pager.js";
import { REFRESH_ON, applyEvent, lotName, progress } from "../session-view.js";
import { Speaker } from "../speech.js";
import { PanelState, mountVideoPanel } from "../video-panel.js";

const PANELS = ["phase", "progress", "hall", "facts", "notice", "video", "readout", "objections", "record", "evaluation", "results"];

const api = new Api();
const clock = new ServerClock();
const speaker = new Speaker({ lang: "zh-CN" });
const tenderId = pathParameter("screen");
const recordCard = new RecordCard(api, byId("record"));

let view = null;
let speaking = null; // {lot, index} of the read-out line being read aloud
let videoState = PanelState.NOT_STARTED;
let pagers = null;
const shownContent = { hall: null, readout: null, objections: null, results: null };

function renderHeader() {
  setText(byId("tender-title"), view?.title || "—");
  setText(byId("tender-organisation"), view?.organisation?.name ?? "");
  setText(byId("tender-code"), view?.code || tenderId || "—");
}

function renderClock() {
  setText(byId("server-time"), formatDateTime(clock.now()).split(" ").pop());
  if (!view) return;
  setText(byId("phase-label"), sessionStatus(view, clock));
  renderEvaluation();
  let counting = showCountdown(byId("countdown-caption"), byId("countdown"), view, clock);
  if (!counting && view.phase === "evaluation") {
    setText(byId("countdown-caption"), t("screen.evaluation_elapsed"));
    setText(byId("countdown"), elapsedSinceStage());
    counting = true;
  }
  // Nothing to count down to (the record is being written, the opening is over): no big dash.
  show(byId("countdown"), counting);
}

function elapsedSinceStage() {
  // The stage's start comes with its event; a screen that joined later shows no clock.
  const started = view.evaluation_stage_since;
  return started ? formatDuration(clock.now() - new Date(started).getTime()) : "--:--";
}

function renderPhase() {
  setText(byId("phase-label"), sessionStatus(view, clock));
  setText(byId("deadline-line"), view.deadline ? t("countdown.deadline_at", { at: formatDateTime(view.deadline) }) : "");
  const counts = progress(view);
  setText(byId("stat-signed-in"), counts.signedIn ?? "—");
  setText(byId("stat-bids"), counts.bids ?? "—");
  setText(byId("stat-decrypted"), counts.decrypted === null ? "—" : `${counts.decrypted} / ${counts.bids}`);
  const bar = byId("decrypt-progress");
  bar.max = Math.max(1, counts.bids ?? 1);
  bar.value = counts.decrypted ?? 0;
}

/** The latest thing the hall should know that the numbers do not say. */
function noticeText() {
  if (view.phase === "aborted" && view.aborted) return labelled(phaseName("aborted"), view.aborted.reason);
  if (view.paused) return t("countdown.paused", { reason: view.pause_reason ?? "" });
  const lastExtension = view.extensions?.at(-1);
  if (view.phase === "decryption" && lastExtension) {
    return t("screen.extended", { length: formatWindow(lastExtension.seconds), reason: lastExtension.reason });
  }
  const decided = (view.lot_progress ?? []).filter((lot) => lot.quorum);
  if (decided.length > 0 && !view.read_out_at) {
    return decided
      .map((lot) =>
        t(lot.quorum.choice === "stop" ? "screen.quorum_stop" : "screen.quorum_continue", {
          lot: lotName(view, lot.lot),
          reason: lot.quorum.reason,
        }),
      )
      .join("\n");
  }
  if (view.phase === "quorum_decision") return phaseName("quorum_decision");
  return "";
}

/** Which panels show and where: one screenful for the phase, nothing to scroll. */
function renderLayout() {
  const layout = screenLayout(view, {
    notice: Boolean(noticeText()),
    facts: !view.readout && view.lots.length > 0,
    objections: (view.objections ?? []).length > 0,
    record: Boolean(view.record),
    video: videoState !== PanelState.NOT_STARTED,
    hall: !view.readout && (view.hall ?? []).length > 0,
  });
  const main = byId("main");
  main.dataset.layout = layout.name;
  // Custom properties, not the grid itself: a narrow window (screen.css) stacks the panels instead.
  main.style.setProperty("--areas", layout.areas);
  main.style.setProperty("--rows", layout.rows);
  main.style.setProperty("--columns", layout.columns);
  for (const id of PANELS) {
    show(byId(id), layout.shown.includes(id));
    byId(id).classList.toggle("grown", layout.grown.includes(id));
  }
}

function renderNotice() {
  setText(byId("notice"), noticeText());
}

/** Before the read-out the hall sees what will be read: the lots, the items, the windows. */
function renderFacts() {
  if (view.readout) return;
  const language = currentLanguage();
  const facts = [
    [t("tender.lots"), listed(view.lots.map((lot) => lot.name))],
    [t("tender.readout_items"), listed(view.readout_items.map((item) => itemLabel(item, language)))],
    [t("tender.signin_opens"), when(view.signin_opens_at)],
  ];
  replaceChildren(
    byId("facts-list"),
    facts.map(([term, value]) => el("div", {}, el("dt", { text: term }), el("dd", { text: value }))),
  );
}

/**
 * Rebuild a paged panel only when what it shows changed (every event re-renders
 * the screen; rebuilding would send the hall back to page one each time).
 */
function renderPaged(name, content, build, { first = false } = {}) {
  const key = JSON.stringify([currentLanguage(), content, view.bidder_names ?? null]);
  if (shownContent[name] === key) return false;
  shownContent[name] = key;
  build();
  pagers[name].refit({ first });
  return true;
}

/** From the deadline to the read-out: every bid's row, its sign-in and its decryption. */
function renderHall() {
  if (view.readout || !view.hall) return;
  // The phase is in the key: a row's "not started" becomes "waiting" when decryption starts.
  renderPaged("hall", [view.phase, view.hall], () => replaceChildren(byId("hall-tables"), hallTables(view)));
}

function renderReadout() {
  if (!view.readout) return;
  if (renderPaged("readout", view.readout, () => replaceChildren(byId("readout-tables"), readoutTables(view)))) {
    highlightSpeaking();
  }
}

/** Mark the line being read aloud and turn to its page. */
function highlightSpeaking() {
  for (const row of byId("readout-tables").querySelectorAll("tr.speaking")) row.classList.remove("speaking");
  if (!speaking) return;
  const table = [...byId("readout-tables").querySelectorAll("table")].find((node) => node.dataset.lot === speaking.lot);
  const row = table?.tBodies[0]?.rows[speaking.index];
  if (!row) return;
  row.classList.add("speaking");
  pagers.readout.reveal(row);
}

function renderObjections() {
  // Newest first, and a new objection or answer brings the hall back to the first page.
  renderPaged("objections", view.objections ?? [], () => replaceChildren(byId("objection-list"), objectionItems(view)), {
    first: true,
  });
}

function renderEvaluation() {
  const stage = view.evaluation_stage;
  setText(byId("evaluation-stage"), stage ? tOr(`stage.${stage}`, stage) : "—");
  const results = view.results ?? [];
  const now = clock.now();
  // A result, an objection to it or an answer, or a publicity ending turns the hall to it.
  renderPaged(
    "results",
    [results, view.result_objections ?? [], publicityKey(view, now)],
    () => replaceChildren(byId("result-list"), results.map((result) => resultArticle(view, result, now))),
    { first: true },
  );
}

function render() {
  if (!view) return;
  renderHeader();
  renderPhase();
  renderNotice();
  renderLayout();
  renderFacts();
  renderHall();
  renderReadout();
  renderObjections();
  recordCard.render(tenderId, view.record);
  renderEvaluation();
  renderClock();
}

function readAloud() {
  const { lines, where } = spokenReadout(view);
  speaker.speak(lines, {
    onLine: (index) => {
      speaking = index >= 0 ? where[index] : null;
      highlightSpeaking();
    },
  });
}

function bindSpeechToggle() {
  const button = byId("speech-toggle");
  const label = byId("speech-toggle-text");
  const renderButton = () => {
    button.setAttribute("aria-pressed", String(!speaker.muted));
    const key = speaker.muted ? "screen.unmute" : speaker.waitingForActivation ? "screen.enable_speech" : "screen.mute";
    setText(label, t(key));
    button.classList.toggle("attention", speaker.waitingForActivation);
  };
  button.addEventListener("click", () => {
    // The first click only lets the browser speak; it does not mute.
    if (button.classList.contains("attention")) renderButton();
    else speaker.setMuted(!speaker.muted);
  });
  speaker.onChange(renderButton);
  onLanguageChange(renderButton);
  renderButton();
  // Any click or key in the hall counts as the activation the browser wants.
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, () => setTimeout(renderButton), { once: true });
}

function mountPagers() {
  const label = (page, pages) => t("screen.page", { page, pages });
  pagers = {
    hall: new Pager(byId("hall-tables"), byId("hall-page"), { blockSelector: "tbody tr", groupSelector: ".table-wrap", label }),
    readout: new Pager(byId("readout-tables"), byId("readout-page"), { blockSelector: "tbody tr", groupSelector: ".table-wrap", label }),
    objections: new Pager(byId("objections-viewport"), byId("objections-page"), { blockSelector: "li", groupSelector: "ol", label }),
    results: new Pager(byId("result-list"), byId("results-page"), { blockSelector: "tbody tr", groupSelector: "article", label }),
  };
}

async function main() {
  bootPage();
  bindSpeechToggle();
  mountPagers();
  onLanguageChange(render);
  if (!tenderId) {
    setText(byId("phase-label"), t("screen.no_tender"));
    return;
  }
  setText(byId("tender-code"), tenderId);
  await clock.start();
  everySecond(clock, renderClock);
  const logLine = mountLogLine(byId("log-line"), (checkpoint) =>
    t("screen.log_line", {
      size: checkpoint.size.toLocaleString(currentLanguage()),
      root: checkpoint.root.slice(0, 8),
      witnesses: checkpoint.cosigners,
    }),
    { qr: byId("log-qr-image") },
  );
  onLanguageChange(logLine.refresh);
  const setState = connectionIndicator();
  const feed = new SessionFeed({
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
    onEvents: (events) => {
      // Read aloud when the read-out happens (or is caught up after a drop), not on every reload.
      if (events.some((event) => event.kind === "read_out")) queueMicrotask(readAloud);
    },
    onState: setState,
    onError: (error) => {
      if (error?.code === "tender_not_found") {
        setText(byId("phase-label"), t("screen.no_tender"));
        feed.stop();
      } else {
        setState.refused(error);
        console.warn("feed:", describeError(error));
      }
    },
  });
  feed.start();
  // The evaluation room's picture; the public socket's `video` pushes spare it most polling.
  mountVideoPanel(byId("video"), tenderId, {
    socket: feed.socket,
    onState: (state) => {
      // A picture that starts or stops changes what fits where.
      videoState = state;
      render();
    },
  });
  // Tests and operators can look at what the screen holds, and show a view of their own
  // (the feed stopped first) to see how the hall would look with it.
  const showView = (next) => {
    view = next;
    render();
  };
  window.bidopenScreen = { feed, view: () => view, pagers, showView };
}

main();
