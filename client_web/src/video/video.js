// Live evaluation video in the browser: publish the room's camera, or watch a session's stream.
//
// Signalling is plain HTTP to the hub (non-trickle: every ICE candidate is in the
// offer), peer connections use no ICE servers, and both sides reconnect by
// themselves. States are reported through a callback and mirrored in
// `element.dataset.videoState`, so pages and browser tests can follow them.

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30000;
const GATHER_LIMIT_MS = 5000;
const STATE_POLL_MS = 3000;
const PUBLISHER_CHECK_MS = 5000;

/** Watch states: the relay's own (`idle`, `live`, `interrupted`) and the link's. */
export const WatchState = Object.freeze({
  CONNECTING: "connecting",
  IDLE: "idle",
  LIVE: "live",
  INTERRUPTED: "interrupted",
  RECONNECTING: "reconnecting",
  BUSY: "busy", // the server serves its limit of viewers; retried with backoff
  STOPPED: "stopped",
});

/** Publish states. `replaced` and `refused` are final: the publisher stops. */
export const PublishState = Object.freeze({
  CONNECTING: "connecting",
  LIVE: "live",
  RECONNECTING: "reconnecting",
  REPLACED: "replaced",
  REFUSED: "refused",
  STOPPED: "stopped",
});

class HubRefusal extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "HubRefusal";
    this.status = status;
    this.code = code;
  }
}

function videoPath(base, sessionId, name) {
  return `${base}/api/sessions/${encodeURIComponent(sessionId)}/video/${name}`;
}

async function hubRequest(method, url, { token = null, json, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, cache: "no-store", signal };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await fetch(url, init);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body && body.error ? body.error : {};
    throw new HubRefusal(response.status, error.code ?? `http_${response.status}`,
      error.message ?? `HTTP ${response.status}`);
  }
  return body;
}

function newPeerConnection() {
  // No ICE servers: host candidates only, nothing leaves for a third party.
  return new RTCPeerConnection({ iceServers: [] });
}

function gatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      clearTimeout(timer);
      resolve();
    };
    // A host with an unreachable interface may never finish; send what was found.
    const timer = setTimeout(() => {
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    }, GATHER_LIMIT_MS);
    pc.addEventListener("icegatheringstatechange", done);
  });
}

async function completeOffer(pc) {
  await pc.setLocalDescription(await pc.createOffer());
  await gatheringComplete(pc);
  return { type: "offer", sdp: pc.localDescription.sdp };
}

function connectionLost(pc) {
  return new Promise((resolve) => {
    let graceTimer = null;
    const check = () => {
      const state = pc.connectionState;
      if (state === "failed" || state === "closed") {
        clearTimeout(graceTimer);
        resolve(state);
      } else if (state === "disconnected") {
        // Browsers report short network blips as "disconnected" and recover.
        graceTimer = graceTimer ?? setTimeout(() => resolve("disconnected"), 5000);
      } else {
        clearTimeout(graceTimer);
        graceTimer = null;
      }
    };
    pc.addEventListener("connectionstatechange", check);
  });
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function stateReporter(element, onState) {
  let last = null;
  return (state) => {
    if (state === last) return;
    last = state;
    if (element) element.dataset.videoState = state;
    if (onState) {
      try {
        onState(state);
      } catch (error) {
        console.error("video state callback failed", error);
      }
    }
  };
}

/**
 * Shows a session's live video in `videoElement` until `stop()` is called.
 *
 * `onState(state)` hears each change (see `WatchState`); the page lays its own
 * localised "信号中断 / stream interrupted" text over the dimmed still the
 * server sends while interrupted. The relay state is polled; a page that also
 * receives it over its socket passes it on with `handle.setRelayState(state)`.
 */
export function watch(sessionId, videoElement, onState, { base = "", pollMs = STATE_POLL_MS } = {}) {
  const stopped = new AbortController();
  const report = stateReporter(videoElement, onState);
  let linked = false;
  let relayState = WatchState.IDLE;
  let pc = null;

  videoElement.muted = true; // autoplay is only allowed muted; there is no audio anyway
  videoElement.playsInline = true;
  videoElement.autoplay = true;

  const show = () => report(linked ? relayState : WatchState.CONNECTING);

  async function pollRelayState() {
    while (!stopped.signal.aborted) {
      try {
        const body = await hubRequest("GET", videoPath(base, sessionId, "state"),
          { signal: stopped.signal });
        relayState = body.state;
        if (linked) show();
      } catch {
        // The link loop reports connection trouble; a missed poll changes nothing.
      }
      await sleep(pollMs, stopped.signal);
    }
  }

  async function linkLoop() {
    let delay = RETRY_FIRST_MS;
    while (!stopped.signal.aborted) {
      pc = newPeerConnection();
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addEventListener("track", (event) => {
        videoElement.srcObject = event.streams[0] ?? new MediaStream([event.track]);
        videoElement.play().catch(() => {});
      });
      try {
        const offer = await completeOffer(pc);
        const answer = await hubRequest("POST", videoPath(base, sessionId, "view"),
          { json: offer, signal: stopped.signal });
        await pc.setRemoteDescription(answer);
        const lost = connectionLost(pc);
        await new Promise((resolve) => {
          const connected = () => {
            if (pc.connectionState === "connected") resolve();
          };
          pc.addEventListener("connectionstatechange", connected);
          lost.then(resolve);
        });
        if (pc.connectionState === "connected") {
          linked = true;
          delay = RETRY_FIRST_MS;
          show();
          await Promise.race([lost, new Promise((r) => stopped.signal.addEventListener("abort", r))]);
        }
      } catch (error) {
        if (stopped.signal.aborted) break;
        if (error instanceof HubRefusal && error.status === 503) report(WatchState.BUSY);
      }
      pc.close();
      pc = null;
      linked = false;
      if (stopped.signal.aborted) break;
      report(WatchState.RECONNECTING);
      await sleep(delay, stopped.signal);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  show();
  pollRelayState();
  linkLoop();

  return {
    /** Feed a relay state heard elsewhere (the public socket), ahead of the next poll. */
    setRelayState(state) {
      relayState = state;
      if (linked) show();
    },
    stop() {
      stopped.abort();
      if (pc) pc.close();
      videoElement.srcObject = null;
      report(WatchState.STOPPED);
    },
  };
}

/**
 * Publishes this browser's camera to a session until `stop()` is called.
 *
 * Needs a host or clerk `token`. Reconnects by itself; stops for good when
 * another publisher takes over (`replaced`) or the hub refuses (`refused`).
 * Resolves once the camera is open; rejects if the camera cannot be opened.
 */
export async function publishCamera(sessionId, token, {
  base = "",
  video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
  preview = null,
  onState = null,
} = {}) {
  const camera = await navigator.mediaDevices.getUserMedia({ video, audio: false });
  const [track] = camera.getVideoTracks();
  const stopped = new AbortController();
  const report = stateReporter(preview, onState);
  const endpoint = videoPath(base, sessionId, "publish");
  let pc = null;
  let publisherId = null;

  if (preview) {
    preview.muted = true;
    preview.playsInline = true;
    preview.srcObject = camera;
    preview.play().catch(() => {});
  }

  async function stillCurrent() {
    // Ask the hub: a replaced publisher steps down instead of fighting back.
    const body = await hubRequest("GET", endpoint, { token, signal: stopped.signal });
    return body.publisher === publisherId || body.publisher === null;
  }

  async function publishLoop() {
    let delay = RETRY_FIRST_MS;
    report(PublishState.CONNECTING);
    while (!stopped.signal.aborted) {
      pc = newPeerConnection();
      pc.addTransceiver(track, { direction: "sendonly", streams: [camera] });
      try {
        const offer = await completeOffer(pc);
        const answer = await hubRequest("POST", endpoint, { token, json: offer, signal: stopped.signal });
        publisherId = answer.publisher;
        await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
        const lost = connectionLost(pc);
        let ended = false;
        lost.then(() => { ended = true; });
        pc.addEventListener("connectionstatechange", () => {
          if (pc && pc.connectionState === "connected") {
            delay = RETRY_FIRST_MS;
            report(PublishState.LIVE);
          }
        });
        while (!ended && !stopped.signal.aborted) {
          await Promise.race([lost, sleep(PUBLISHER_CHECK_MS, stopped.signal)]);
          if (stopped.signal.aborted) break;
          if (!(await stillCurrent())) {
            report(PublishState.REPLACED);
            shutDown();
            return;
          }
        }
      } catch (error) {
        if (stopped.signal.aborted) break;
        if (error instanceof HubRefusal && [400, 401, 403, 404, 413, 422].includes(error.status)) {
          report(PublishState.REFUSED);
          shutDown();
          return;
        }
      }
      if (stopped.signal.aborted) break;
      pc.close();
      pc = null;
      report(PublishState.RECONNECTING);
      await sleep(delay, stopped.signal);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  function shutDown() {
    stopped.abort();
    if (pc) pc.close();
    pc = null;
    camera.getTracks().forEach((t) => t.stop());
    if (preview) preview.srcObject = null;
  }

  publishLoop();

  return {
    stream: camera,
    /** End the stream on purpose: viewers see it ended (`idle`), not interrupted. */
    async stop() {
      const id = publisherId;
      stopped.abort();
      if (id) {
        // Said before the connection closes, so that the hub records an end, not a break.
        const url = `${endpoint}?publisher=${encodeURIComponent(id)}`;
        await hubRequest("DELETE", url, { token }).catch(() => {});
      }
      shutDown();
      report(PublishState.STOPPED);
    },
  };
}
