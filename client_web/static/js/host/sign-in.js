// The host's sign-in, shared by the console and the camera page: one token per browser tab.

import { describeError } from "../api.js";
import { byId } from "../dom.js";
import { busy, clearMessage, showMessage } from "../page.js";

// Per tab and gone when the tab closes; a reload mid-session keeps the host signed in,
// and a page of the same tab (console, then camera) finds the same token.
const TOKEN_KEY = "bidopen.host.token";

/**
 * Wire `#login-form` (`#login-username`, `#login-password`, `#login-message`):
 * a good password puts the token on `api` and in the tab, then `enter()` runs;
 * a refusal is shown in the form. The password field is emptied either way.
 */
export function bindHostLogin(api, enter) {
  const form = byId("login-form");
  const message = byId("login-message");
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
      showMessage(message, describeError(error), "error");
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
 * Enter with the tab's token, if it has one that still works; true when it did.
 * Otherwise the cursor goes to the user name, unless the host is already typing
 * somewhere (moving it then would send the password into the wrong field).
 */
export async function resumeHostLogin(api, enter) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    api.token = token;
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

/** Revoke the token at the hub, forget it, and start the page afresh at its login form. */
export async function logOutHost(api) {
  await api.post("/api/logout", {}).catch(() => {});
  forgetHostLogin(api);
  location.reload();
}
