// The evaluation room's live picture on a public page: watches the stream and says how it stands.

import { WatchState, watch } from "/static/vendor/video.bundle.js";
import { Api } from "./api.js";
import { el, setText } from "./dom.js";
import { onLanguageChange, t } from "./i18n.js";

/** What the panel tells the hall; also in `container.dataset.videoState` for tests and styles. */
export const PanelState = Object.freeze({
  NOT_STARTED: "not_started",
  CONNECTING: "connecting",
  LIVE: "live",
  INTERRUPTED: "interrupted",
  BUSY: "busy",
  ENDED: "ended",
});

// Without a socket the relay state is all the page has; with one, pushes come first
// and the poll is only a safety net (thousands of public pages poll this endpoint).
const POLL_MS = 5_000;
const POLL_WITH_SOCKET_MS = 30_000;
// A relay idle for this long releases the viewer's place under the hub's viewer cap
// (a short stop and restart keeps the link, and so spends no rate-limited view request).
const RELEASE_IDLE_MS = 60_000;
const STYLESHEET = "/static/css/video.css";

function ensureStylesheet() {
  if (document.querySelector(`link[href="${STYLESHEET}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href: STYLESHEET }));
}

/**
 * Shows session `sessionId`'s live video in `container` until `stop()`.
 *
 * The panel links to the relay (one WebRTC viewer place) only while there is
 * something to show: it polls the public state (or hears the `video` event of a
 * `/public` socket passed as `socket`), links when the stream goes live, keeps
 * the link through an interruption, and lets it go a minute after the stream
 * ends. Nothing ever needs a reload.
 *
 * Options: `muted` (default true; the relay carries no sound, and browsers only
 * autoplay muted video), `labels` (texts by `PanelState` that replace the
 * translated defaults), `heading` (false for none), `socket`, `base` (hub URL
 * prefix), `onState` (called with the new `PanelState` whenever it changes, e.g.
 * to make room for the picture). Every text is set as text, never HTML.
 */
export function mountVideoPanel(
  container,
  sessionId,
  { muted = true, labels = {}, heading = true, socket = null, base = "", onState = null } = {},
) {
  ensureStylesheet();
  const api = new Api({ base });
  const statePath = `/api/sessions/${encodeURIComponent(sessionId)}/video/state`;
  const video = el("video", { class: "video-picture", muted: true, playsInline: true, autoplay: true });
  const statusText = el("span", { class: "video-status-text" });
  const headingNode = heading ? el("h2", { class: "video-heading" }) : null;
  const frame = el(
    "figure",
    { class: "video-frame" },
    video,
    el(
      "figcaption",
      { class: "video-status", attrs: { role: "status", "aria-live": "polite" } },
      el("span", { class: "video-dot", attrs: { "aria-hidden": "true" } }),
      statusText,
    ),
  );
  container.classList.add("video-panel");
  container.replaceChildren(...[headingNode, frame].filter(Boolean));

  let relay = null; // the relay's own state as last heard: idle, live, interrupted
  let watching = null; // the handle of `watch` while linked
  let watchState = null;
  let everLive = false;
  let releaseTimer = null;
  let pollTimer = null;
  let stopped = false;

  function state() {
    if (!watching) {
      if (relay === "live" || relay === "interrupted") return PanelState.CONNECTING;
      return everLive ? PanelState.ENDED : PanelState.NOT_STARTED;
    }
    switch (watchState) {
      case WatchState.LIVE:
        return PanelState.LIVE;
      case WatchState.INTERRUPTED:
      case WatchState.RECONNECTING:
        return PanelState.INTERRUPTED;
      case WatchState.BUSY:
        return PanelState.BUSY;
      case WatchState.IDLE:
        return everLive ? PanelState.ENDED : PanelState.NOT_STARTED;
      default:
        return relay === "interrupted" ? PanelState.INTERRUPTED : PanelState.CONNECTING;
    }
  }

  function render() {
    const now = state();
    const changed = container.dataset.videoState !== now;
    container.dataset.videoState = now;
    setText(statusText, labels[now] ?? t(`video.${now}`));
    if (headingNode) setText(headingNode, labels.heading ?? t("video.heading"));
    video.setAttribute("aria-label", labels.picture ?? t("video.picture"));
    // The dimmed still of an interruption stays visible under its label.
    video.hidden = !(now === PanelState.LIVE || now === PanelState.INTERRUPTED);
    if (changed) onState?.(now);
  }

  function link() {
    watching = watch(
      sessionId,
      video,
      (next) => {
        watchState = next;
        if (next === WatchState.LIVE) everLive = true;
        render();
      },
      // The panel feeds the relay state itself, so the module's own poll is a slow fallback.
      { base, pollMs: POLL_WITH_SOCKET_MS },
    );
    video.muted = muted;
    if (relay) watching.setRelayState(relay);
  }

  function unlink() {
    watching?.stop();
    watching = null;
    watchState = null;
  }

  function heard(next) {
    if (stopped || !["idle", "live", "interrupted"].includes(next)) return;
    relay = next;
    if (next === "idle") {
      releaseTimer ??= setTimeout(() => {
        releaseTimer = null;
        if (relay === "idle") unlink();
        render();
      }, RELEASE_IDLE_MS);
    } else {
      clearTimeout(releaseTimer);
      releaseTimer = null;
      if (!watching) link();
    }
    watching?.setRelayState(next);
    render();
  }

  async function poll() {
    try {
      const body = await api.get(statePath);
      heard(body?.state);
    } catch {
      // A missed poll changes nothing; the link reports its own trouble.
    }
    if (!stopped) pollTimer = setTimeout(poll, socket ? POLL_WITH_SOCKET_MS : POLL_MS);
  }

  const onVideoEvent = (message) => {
    if (message?.session_id === sessionId) heard(message.state);
  };
  socket?.on("video", onVideoEvent);
  const forgetLanguage = onLanguageChange(render);
  render();
  poll();

  return {
    get state() {
      return state();
    },
    stop() {
      stopped = true;
      clearTimeout(pollTimer);
      clearTimeout(releaseTimer);
      socket?.off("video", onVideoEvent);
      forgetLanguage();
      unlink();
    },
  };
}
