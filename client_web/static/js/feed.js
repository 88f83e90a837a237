// A live feed of one session: snapshot on join, events by seq, catch-up after gaps and reconnects.

import { io } from "/static/vendor/socket.io.bundle.js";
import { EventSequencer } from "./sequencer.js";

/** How the connection stands, for the page's status line. */
export const FeedState = Object.freeze({
  CONNECTING: "connecting",
  ONLINE: "online",
  OFFLINE: "offline",
});

// A pushed event can be the last one for a long while; if its doorbell was lost
// (a node restarted, Redis blinked) a periodic look at the log still finds it.
const SAFETY_CATCH_UP_MS = 20_000;
// Members re-read their snapshot after a burst of events, not after each one.
const SNAPSHOT_COALESCE_MS = 150;
const PUBLIC_REFRESH_SPREAD_MS = 2000;

/** A socket.io connection error or a hub refusal, with the hub's code when there is one. */
export class FeedError extends Error {
  constructor(payload) {
    const error = payload?.data?.error ?? payload?.error ?? null;
    super(error?.message ?? payload?.message ?? String(payload));
    this.name = "FeedError";
    this.code = error?.code ?? "socket";
    this.messageZh = error?.message_zh ?? null;
  }
}

/**
 * Keeps a page's picture of one session current (docs/protocol.md):
 *
 * - `/public` sends a `snapshot` after each (re)connection by itself and then
 *   pushes `event` messages; it takes no messages, so gaps are filled from
 *   the log over HTTP (`loadEvents`) and the page folds events into its view
 *   with `reduce` (session-view.js), never refetching the snapshot.
 * - `/host` and `/bidder` `join` the session (the answer is the role's
 *   snapshot), fill gaps with `catch_up`, and re-`join` after each burst of
 *   events, since their views hold what no redacted event carries.
 *
 * `onView(view, seq)` receives every new picture; `onEvents(events)` every
 * event exactly once and in seq order; `onState(state)` follows the
 * connection. socket.io's reconnection (with backoff) brings the connection
 * back, and the feed catches up after every reconnect: the page never reloads.
 */
export class SessionFeed {
  constructor({
    namespace,
    sessionId,
    auth = {},
    reduce = null,
    loadEvents = null,
    loadSnapshot = null,
    refreshOn = [],
    onView = () => {},
    onEvents = () => {},
    onState = () => {},
    onError = () => {},
  }) {
    this.namespace = namespace;
    this.sessionId = sessionId;
    this.auth = auth;
    this.isPublic = namespace === "/public";
    this.reduce = reduce;
    this.loadEvents = loadEvents;
    this.loadSnapshot = loadSnapshot;
    this.refreshOn = new Set(refreshOn);
    this.onView = onView;
    this.onEvents = onEvents;
    this.onState = onState;
    this.onError = onError;
    this.sequencer = new EventSequencer(0);
    this.view = null;
    this.socket = null;
    this.catchingUp = null;
    this.again = false;
    this.safetyTimer = null;
    this.snapshotTimer = null;
  }

  get lastSeq() {
    return this.sequencer.lastSeq;
  }

  get connected() {
    return Boolean(this.socket?.connected);
  }

  start() {
    this.onState(FeedState.CONNECTING);
    const auth = this.isPublic ? { session_id: this.sessionId } : this.auth;
    this.socket = io(this.namespace, {
      auth,
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
      timeout: 10_000,
    });
    this.socket.on("connect", () => this.whenConnected());
    this.socket.on("disconnect", (reason) => {
      this.onState(FeedState.OFFLINE);
      // After a server-side disconnect socket.io does not retry by itself.
      if (reason === "io server disconnect") setTimeout(() => this.socket?.connect(), 1000);
    });
    this.socket.on("connect_error", (error) => {
      this.onState(FeedState.OFFLINE);
      this.onError(new FeedError(error));
    });
    this.socket.on("snapshot", (snapshot) => this.takeSnapshot(snapshot));
    this.socket.on("event", (message) => this.pushed(message));
    window.addEventListener("online", this.onBrowserOnline);
    this.safetyTimer = setInterval(() => {
      if (this.connected) this.catchUp();
    }, SAFETY_CATCH_UP_MS);
    return this;
  }

  stop() {
    window.removeEventListener("online", this.onBrowserOnline);
    clearInterval(this.safetyTimer);
    clearTimeout(this.snapshotTimer);
    this.socket?.close();
    this.socket = null;
  }

  onBrowserOnline = () => {
    if (this.socket && !this.socket.connected) this.socket.connect();
  };

  /** Emit with an acknowledgement; rejects with a FeedError for a hub refusal or a timeout. */
  request(event, payload, timeoutMs = 15_000) {
    return new Promise((resolve, reject) => {
      if (!this.socket) {
        reject(new Error("the feed is not started"));
        return;
      }
      this.socket.timeout(timeoutMs).emit(event, payload, (timeoutError, reply) => {
        if (timeoutError) reject(new FeedError(timeoutError));
        else if (reply && typeof reply === "object" && reply.error) reject(new FeedError(reply));
        else resolve(reply);
      });
    });
  }

  async whenConnected() {
    this.onState(FeedState.ONLINE);
    if (this.isPublic) return; // the hub sends the snapshot unasked
    try {
      await this.refreshSnapshot();
    } catch (error) {
      this.onError(error);
    }
  }

  async refreshSnapshot() {
    const reply = await this.request("join", { session_id: this.sessionId });
    this.takeSnapshot(reply.snapshot);
  }

  takeSnapshot(snapshot) {
    if (!snapshot || typeof snapshot.seq !== "number") return;
    // A snapshot older than what we hold (a slow answer) must not move us back.
    if (this.view !== null && snapshot.seq < this.lastSeq) return;
    this.view = snapshot.view;
    this.sequencer.resetTo(snapshot.seq);
    this.onView(this.view, snapshot.seq);
    // Events pushed while the snapshot was on its way may now follow it.
    this.deliver([]);
    this.catchUp();
  }

  pushed(message) {
    if (this.view === null) {
      // Before the first snapshot there is nothing to fold into; keep it for later.
      this.sequencer.offer([message]);
      return;
    }
    if (this.deliver([message])) this.catchUp();
  }

  /** Hand the events that are now in order to the page; true when a gap remains. */
  deliver(messages) {
    const { ready, gap } = this.sequencer.offer(messages);
    if (ready.length === 0) return gap;
    this.onEvents(ready);
    if (this.reduce) {
      this.view = ready.reduce(this.reduce, this.view);
      this.onView(this.view, this.lastSeq);
      if (this.loadSnapshot && ready.some((event) => this.refreshOn.has(event.kind))) this.refreshPublicSnapshot();
    } else {
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = setTimeout(() => {
        this.refreshSnapshot().catch((error) => this.onError(error));
      }, SNAPSHOT_COALESCE_MS);
    }
    return gap;
  }

  /**
   * A few public events are redacted below what the public view shows (the
   * deadline's sign-in count, for one); after those the view is read once
   * over HTTP. The random delay spreads a hall full of screens over seconds.
   */
  refreshPublicSnapshot() {
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = setTimeout(() => {
      this.loadSnapshot()
        .then((snapshot) => this.takeSnapshot(snapshot))
        .catch((error) => this.onError(error));
    }, Math.random() * PUBLIC_REFRESH_SPREAD_MS);
  }

  async fetchEvents(after) {
    if (this.isPublic) return this.loadEvents(after);
    return this.request("catch_up", { session_id: this.sessionId, after });
  }

  /** Read the log after lastSeq until it is exhausted; one reading at a time. */
  catchUp() {
    if (this.view === null || (this.isPublic && !this.loadEvents)) return Promise.resolve();
    if (this.catchingUp) {
      this.again = true;
      return this.catchingUp;
    }
    this.catchingUp = (async () => {
      try {
        do {
          this.again = false;
          for (;;) {
            const page = await this.fetchEvents(this.lastSeq);
            this.deliver(page.events ?? []);
            if (!page.more || (page.events ?? []).length === 0) break;
          }
        } while (this.again);
      } catch (error) {
        this.onError(error);
      } finally {
        this.catchingUp = null;
      }
    })();
    return this.catchingUp;
  }
}
