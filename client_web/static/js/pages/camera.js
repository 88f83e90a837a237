// The evaluation room's camera: a host signs in, picks the session, checks the preview and goes live.

import { PublishState, publishCamera } from "/static/vendor/video.bundle.js";
import { Api, ApiError, describeError } from "../api.js";
import { byId, el, replaceChildren, setText, show } from "../dom.js";
import { bindHostLogin, forgetHostLogin, logOutHost, resumeHostLogin } from "../host/sign-in.js";
import { onLanguageChange, t, tOr } from "../i18n.js";
import { bootPage, busy, clearMessage, phaseName, showMessage } from "../page.js";

const RELAY_POLL_MS = 3000;
// Sessions the room is most likely filming come first in the list.
const FILMED_PHASES = ["evaluation", "closed", "record_due", "confirmation"];

const api = new Api();
const params = new URLSearchParams(location.search);
let previewStream = null;
let publishing = null; // the handle of publishCamera while this page publishes
let publishState = PublishState.STOPPED;
let relay = null; // what the hub says about the session's video: {state, viewers, publisher}
let relayTimer = null;

// ---- sign-in ---------------------------------------------------------------------------

async function enterCamera() {
  const me = await api.get("/api/host/me");
  show(byId("login-form"), false);
  show(byId("camera"));
  setText(byId("who"), me.username);
  show(byId("who"));
  show(byId("logout"));
  await loadSessions();
  pollRelay();
}

async function logOut() {
  await publishing?.stop();
  await logOutHost(api);
}

// ---- the session ------------------------------------------------------------------------

async function loadSessions() {
  const { tenders } = await api.get("/api/tenders?limit=200");
  const select = byId("session-select");
  // A re-render (language switch) keeps the operator's choice; the first load takes the link's.
  const wanted = select.value || params.get("session");
  const ordered = [...tenders].sort((a, b) => filmedRank(a.phase) - filmedRank(b.phase));
  replaceChildren(
    select,
    ordered.length
      ? ordered.map((tender) =>
          el("option", { value: tender.id, text: `${tender.code} · ${tender.title}（${phaseName(tender.phase)}）` }),
        )
      : el("option", { value: "", text: t("tender.none") }),
  );
  if (ordered.some((tender) => tender.id === wanted)) select.value = wanted;
  sessionChosen();
}

function filmedRank(phase) {
  const rank = FILMED_PHASES.indexOf(phase);
  return rank < 0 ? FILMED_PHASES.length : rank;
}

function sessionId() {
  return byId("session-select").value;
}

function sessionChosen() {
  const id = sessionId();
  const link = byId("screen-link");
  show(link, Boolean(id));
  if (id) link.href = `/screen/${encodeURIComponent(id)}`;
  relay = null;
  renderRelay();
  pollRelay();
}

// ---- camera and preview ------------------------------------------------------------------

function cameraConstraints() {
  const device = byId("device-select").value;
  return {
    width: { ideal: 1280 },
    height: { ideal: 720 },
    frameRate: { ideal: 30 },
    ...(device ? { deviceId: { exact: device } } : {}),
  };
}

async function listDevices() {
  const select = byId("device-select");
  const chosen = select.value;
  const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
  replaceChildren(
    select,
    cameras.map((camera, index) =>
      el("option", { value: camera.deviceId, text: camera.label || t("camera.device_n", { n: index + 1 }) }),
    ),
  );
  if (cameras.some((camera) => camera.deviceId === chosen)) select.value = chosen;
}

async function startPreview() {
  const message = byId("camera-message");
  clearMessage(message);
  stopPreview();
  try {
    previewStream = await navigator.mediaDevices.getUserMedia({ video: cameraConstraints(), audio: false });
  } catch (error) {
    showMessage(message, cameraError(error), "error");
    renderPreview();
    return;
  }
  const preview = byId("preview");
  preview.srcObject = previewStream;
  preview.play().catch(() => {});
  await listDevices().catch(() => {});
  renderPreview();
}

function stopPreview() {
  previewStream?.getTracks().forEach((track) => track.stop());
  previewStream = null;
  if (!publishing) byId("preview").srcObject = null;
}

function cameraError(error) {
  if (error?.name === "NotAllowedError") return t("camera.error_denied");
  if (error?.name === "NotFoundError" || error?.name === "OverconstrainedError") return t("camera.error_missing");
  if (error?.name === "NotReadableError") return t("camera.error_busy");
  return describeError(error);
}

// ---- publishing --------------------------------------------------------------------------

async function goLive() {
  const message = byId("camera-message");
  clearMessage(message);
  const id = sessionId();
  if (!id) {
    showMessage(message, t("camera.choose_session"), "error");
    return;
  }
  if (publishing) return;
  // The published camera is shown in the preview: the operator sees exactly what the hall sees.
  stopPreview();
  try {
    publishing = await publishCamera(id, api.token, {
      video: cameraConstraints(),
      preview: byId("preview"),
      onState: publishStateChanged,
    });
  } catch (error) {
    publishing = null;
    showMessage(message, cameraError(error), "error");
    renderPublishing();
    return;
  }
  await listDevices().catch(() => {});
  renderPublishing();
  pollRelay();
}

function publishStateChanged(state) {
  publishState = state;
  if (state === PublishState.REPLACED || state === PublishState.REFUSED) {
    publishing = null;
    showMessage(byId("camera-message"), t(`camera.${state}_message`), "error");
    startPreview();
  }
  renderPublishing();
  pollRelay();
}

async function stopLive() {
  const handle = publishing;
  if (!handle) return;
  await handle.stop();
  publishing = null;
  renderPublishing();
  pollRelay();
  await startPreview();
}

// ---- what the viewers see ----------------------------------------------------------------

/** Ask the hub how the session's stream stands, now and every few seconds. */
function pollRelay() {
  clearTimeout(relayTimer);
  const id = sessionId();
  if (!id || !api.token) return;
  api
    .get(`/api/sessions/${encodeURIComponent(id)}/video/publish`)
    .then((body) => {
      if (id === sessionId()) relay = body;
    })
    .catch((error) => {
      // An expired sign-in: back to the login form, unless a stream would be cut by it
      // (the publisher then stops by itself, refused, and the next poll comes here again).
      if (error instanceof ApiError && error.status === 401 && !publishing) {
        forgetHostLogin(api);
        location.reload();
      }
    })
    .finally(() => {
      renderRelay();
      relayTimer = setTimeout(pollRelay, RELAY_POLL_MS);
    });
}

// ---- rendering ---------------------------------------------------------------------------

function renderPreview() {
  const frame = byId("preview-frame");
  const video = byId("preview");
  let state = "not_started";
  let text = t("camera.preview_off");
  if (publishing) {
    state = { [PublishState.LIVE]: "live", [PublishState.RECONNECTING]: "interrupted" }[publishState] ?? "preview";
    text = t(`camera.state.${publishState}`);
  } else if (previewStream) {
    state = "preview";
    text = t("camera.preview_on");
  }
  frame.dataset.videoState = state;
  show(video, state !== "not_started");
  setText(byId("preview-state"), text);
}

function renderPublishing() {
  const state = publishing ? publishState : PublishState.STOPPED;
  const node = byId("publish-state");
  node.dataset.state = state;
  setText(node, t(`camera.state.${state}`));
  byId("publish-start").disabled = Boolean(publishing);
  byId("publish-stop").disabled = !publishing;
  byId("session-select").disabled = Boolean(publishing);
  byId("device-select").disabled = Boolean(publishing);
  byId("preview-start").disabled = Boolean(publishing);
  renderPreview();
}

function renderRelay() {
  const node = byId("viewer-state");
  const state = relay?.state ?? "idle";
  node.dataset.state = state;
  let text = tOr(`camera.relay.${state}`, state);
  // Another device (a second camera page, `bidopen stream`) holds the stream.
  if (!publishing && relay?.publisher) text = `${text}（${t("camera.other_publisher")}）`;
  setText(node, relay ? text : "—");
  setText(byId("viewer-count"), relay ? String(relay.viewers) : "—");
}

function render() {
  renderPublishing();
  renderRelay();
}

// ---- start -------------------------------------------------------------------------------

async function main() {
  bootPage();
  render();
  bindHostLogin(api, enterCamera);
  byId("publish-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy(byId("publish-start"), goLive).finally(renderPublishing);
  });
  byId("publish-stop").addEventListener("click", () => busy(byId("publish-stop"), stopLive).finally(renderPublishing));
  byId("preview-start").addEventListener("click", () => busy(byId("preview-start"), startPreview).finally(renderPublishing));
  byId("session-select").addEventListener("change", sessionChosen);
  byId("device-select").addEventListener("change", () => {
    if (previewStream) startPreview();
  });
  byId("logout").addEventListener("click", logOut);
  // Closing the tab while live would leave the hall with an interrupted stream: ask first.
  window.addEventListener("beforeunload", (event) => {
    if (publishing) event.preventDefault();
  });
  onLanguageChange(() => {
    render();
    if (api.token) loadSessions().catch(() => {});
  });
  await resumeHostLogin(api, enterCamera);
}

main();
