// The public big screen: no login, large countdown, counts, the read-out at once and read aloud.

import { Api, describeError } from "../api.js";
import { ServerClock, everySecond } from "../clock.js";
import { byId, el, replaceChildren, setText, show } from "../dom.js";
import { SessionFeed } from "../feed.js";
import { currentLanguage, formatDateTime, formatDuration, onLanguageChange, t, tOr } from "../i18n.js";
import {
  bootPage,
  connectionIndicator,
  itemLabel,
  pathParameter,
  phaseName,
  showCountdown,
  when,
} from "../page.js";
import { bidderName, readoutTables, spokenReadout } from "../readout-table.js";
import { REFRESH_ON, applyEvent, lotName, progress } from "../session-view.js";
import { Speaker } from "../speech.js";
import { loadPublishedRecord } from "../record.js";
import { mountVideoPanel } from "../video-panel.js";

const api = new Api();
const clock = new ServerClock();
const speaker = new Speaker({ lang: "zh-CN" });
const tenderId = pathParameter("screen");

let view = null;
let record = null;
let speaking = null;

function renderHeader() {
  setText(byId("tender-title"), view?.title || "—");
  setText(byId("tender-code"), view?.code || tenderId || "—");
}

function renderClock() {
  setText(byId("server-time"), formatDateTime(clock.now()).split(" ").pop());
  if (!view) return;
  const counting = showCountdown(byId("countdown-caption"), byId("countdown"), view, clock);
  if (!counting && view.phase === "evaluation") {
    setText(byId("countdown-caption"), t("screen.evaluation_elapsed"));
    setText(byId("countdown"), elapsedSinceStage());
  }
}

function elapsedSinceStage() {
  // The stage's start comes with its event; a screen that joined later shows no clock.
  const started = view.evaluation_stage_since;
  return started ? formatDuration(clock.now() - new Date(started).getTime()) : "--:--";
}

function renderPhase() {
  setText(byId("phase-label"), phaseName(view.phase, view.paused));
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
  if (view.phase === "aborted" && view.aborted) return `${phaseName("aborted")}：${view.aborted.reason}`;
  if (view.paused) return t("countdown.paused", { reason: view.pause_reason ?? "" });
  const lastExtension = view.extensions?.at(-1);
  if (view.phase === "decryption" && lastExtension) {
    return t("screen.extended", { minutes: lastExtension.minutes, reason: lastExtension.reason });
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

function renderNotice() {
  const notice = byId("notice");
  const text = noticeText();
  setText(notice, text);
  show(notice, Boolean(text));
}

/** Before the read-out the hall sees what will be read: the lots, the items, the windows. */
function renderFacts() {
  const section = byId("facts");
  show(section, !view.readout && view.lots.length > 0);
  if (view.readout) return;
  const language = currentLanguage();
  const facts = [
    [t("tender.lots"), view.lots.map((lot) => lot.name).join("、")],
    [t("tender.readout_items"), view.readout_items.map((item) => itemLabel(item, language)).join("、")],
    [t("tender.signin_opens"), when(view.signin_opens_at)],
  ];
  replaceChildren(
    byId("facts-list"),
    facts.map(([term, value]) => el("div", {}, el("dt", { text: term }), el("dd", { text: value }))),
  );
}

function renderReadout() {
  const section = byId("readout");
  show(section, Boolean(view.readout));
  if (view.readout) replaceChildren(byId("readout-tables"), readoutTables(view, { highlight: speaking }));
}

function renderObjections() {
  const objections = view.objections ?? [];
  show(byId("objections"), objections.length > 0);
  replaceChildren(
    byId("objection-list"),
    objections.map((objection) =>
      el(
        "li",
        { dataset: { objection: objection.id } },
        // Before the read-out the hub does not say who objected: naming them would say who bid.
        el("span", {
          class: "who",
          text: objection.bidder ? bidderName(view, objection.bidder, objection.bidder_name) : t("screen.a_bidder"),
        }),
        el("span", { text: objection.text }),
        el("span", {
          class: "answer",
          text: objection.answer ? `${t("screen.answer")}${objection.answer}` : t("screen.awaiting_answer"),
        }),
      ),
    ),
  );
}

function renderRecord() {
  const section = byId("record");
  show(section, Boolean(view.record));
  if (!view.record) return;
  setText(byId("record-hash"), view.record.sha256);
  setText(
    byId("record-verified"),
    record?.verified ? t("screen.record_verified") : record?.error ? t("screen.record_unverified") : "",
  );
}

function renderEvaluation() {
  const section = byId("evaluation");
  const stage = view.evaluation_stage;
  show(section, Boolean(stage));
  if (stage) setText(byId("evaluation-stage"), tOr(`stage.${stage}`, stage));
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
        el(
          "ul",
          {},
          Object.entries(result.reasons ?? {}).map(([bidder, reason]) =>
            el("li", {}, el("strong", { text: `${bidderName(view, bidder)}：` }), `${reason.clause} ${reason.text}`),
          ),
        ),
        el("p", { class: "screen-caption", text: `${t("screen.publicity_ends")}：${when(result.publicity_ends_at)}` }),
      ),
    ),
  );
}

function render() {
  if (!view) return;
  renderHeader();
  renderPhase();
  renderNotice();
  renderFacts();
  renderReadout();
  renderObjections();
  renderRecord();
  renderEvaluation();
  renderClock();
}

function readAloud() {
  const { lines, where } = spokenReadout(view);
  speaker.speak(lines, {
    onLine: (index) => {
      speaking = index >= 0 ? where[index] : null;
      renderReadout();
    },
  });
}

async function fetchRecord() {
  if (!view?.record || record?.sha256 === view.record.sha256) return;
  record = await loadPublishedRecord(api, tenderId, view.record.sha256);
  render();
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

async function main() {
  bootPage();
  bindSpeechToggle();
  onLanguageChange(render);
  if (!tenderId) {
    setText(byId("phase-label"), t("screen.no_tender"));
    return;
  }
  setText(byId("tender-code"), tenderId);
  await clock.start();
  everySecond(clock, renderClock);
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
      fetchRecord().catch(() => {});
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
      } else console.warn("feed:", describeError(error));
    },
  });
  feed.start();
  // The evaluation room's picture; the public socket's `video` pushes spare it most polling.
  mountVideoPanel(byId("video"), tenderId, { socket: feed.socket });
  // Tests and operators can look at what the screen holds.
  window.bidopenScreen = { feed, view: () => view };
}

main();
