// The host's sign-in, shared by the console and the camera page: one sign-in for the browser's tabs.

import { byId } from "../dom.js";
import { busy, clearMessage, showRefusal } from "../page.js";

// Kept per tab, in sessionStorage (never localStorage, a cookie or the disk): a reload keeps
// the host signed in, and the token is gone once the last tab holding it closes.
const TOKEN_KEY = "bidopen.host.token";
// Another tab of the same origin (the browser keeps a channel to its own origin) asks here for
// the token when it has none: the camera page opened beside the console needs no second login.
const CHANNEL = "bidopen.host";
// How long a page without a token waits for another tab's answer before showing its form.
const ASK_MS = 400;

function tabToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Answer other tabs: give the token to a tab that asks; leave with a tab that logged out. */
function serveOtherTabs(api) {
  const channel = new BroadcastChannel(CHANNEL);
  channel.addEventListener("message", (event) => {
    const token = tabToken();
    if (!token) return;
    if (event.data?.type === "ask") channel.postMessage({ type: "token", token });
    if (event.data?.type === "logged_out" && event.data.token === token) {
      forgetHostLogin(api);
      location.reload();
    }
  });
}

/** The token of another open tab of this origin, or null when none answers in time. */
function askOtherTabs() {
  return new Promise((resolve) => {
    const channel = new BroadcastChannel(CHANNEL);
    const done = (token) => {
      clearTimeout(timer);
      channel.close();
      resolve(token);
    };
    const timer = setTimeout(() => done(null), ASK_MS);
    channel.addEventListener("message", (event) => {
      if (event.data?.type === "token" && typeof event.data.token === "string") done(event.data.token);
    });
    channel.postMessage({ type: "ask" });
  });
}

/**
 * Wire `#login-form` (`#login-username`, `#login-password`, `#login-message`):
 * a good password puts the token on `api` and in the tab, then `enter()` runs;
 * a refusal is shown in the form, naming its field. The password field is emptied either way.
 */
export function bindHostLogin(api, enter) {
  const form = byId("login-form");
  const message = byId("login-message");
  serveOtherTabs(api);
  const submit = async () => {
    clearMessage(message);
    try {
      const { token } = await api.post("/api/host/login", {
        username: byId("login-username").value.trim(),
        password: byId("login-password").value,
      });
      api.token = token;
      sessionStorage.setItem(TOKEN_KEY, token);
      await enter();
    } catch (error) {
      showRefusal(message, error, form);
    } finally {
      byId("login-password").value = "";
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector('button[type="submit"]'), submit);
  });
}

/**
 * Enter with the tab's token, or with one another tab of this origin holds, if it still
 * works; true when it did. Otherwise the cursor goes to the user name, unless the host is
 * already typing somewhere (moving it then would send the password into the wrong field).
 */
export async function resumeHostLogin(api, enter) {
  const token = tabToken() ?? (await askOtherTabs());
  if (token) {
    api.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    try {
      await enter();
      return true;
    } catch {
      forgetHostLogin(api);
    }
  }
  if (document.activeElement === document.body || document.activeElement === null) byId("login-username").focus();
  return false;
}

/** Drop the tab's token (it expired, or the host left). */
export function forgetHostLogin(api) {
  api.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Revoke the token at the hub, forget it, and start the page afresh at its login form; the
 * other tabs that share the token (it no longer works) go back to theirs as well.
 */
export async function logOutHost(api) {
  const token = api.token;
  await api.post("/api/logout", {}).catch(() => {});
  forgetHostLogin(api);
  if (token) {
    const channel = new BroadcastChannel(CHANNEL);
    channel.postMessage({ type: "logged_out", token });
    channel.close();
  }
  location.reload();
}
