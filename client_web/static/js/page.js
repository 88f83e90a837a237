// What every page does on load: translate, wire the language switch, show the connection state.

import { describeError } from "./api.js";
import { byId, isolate, setText } from "./dom.js";
import { FeedState } from "./feed.js";
import {
  aside,
  bindLanguageSwitch,
  formatCountdown,
  formatDateTime,
  labelled,
  onLanguageChange,
  t,
  tOr,
  translatePage,
} from "./i18n.js";
import { countdownTarget } from "./session-view.js";

/** Translate the static text and wire `#lang-switch` (every page has one). */
export function bootPage() {
  translatePage();
  const button = document.getElementById("lang-switch");
  if (button) bindLanguageSwitch(button);
}

/**
 * Keep `#connection` (and its text `#connection-text`) in step with a feed's state.
 * The returned setter also has `refused(error)`: a hub refusal (a `connect_error` or an
 * acknowledgement with the hub's error object) is shown with its message until the
 * feed is online again.
 */
export function connectionIndicator() {
  const box = byId("connection");
  const text = byId("connection-text");
  let state = FeedState.CONNECTING;
  let refusal = null;
  const render = () => {
    box.dataset.state = state;
    box.dataset.refused = refusal ? refusal.code : "";
    const label = t(`conn.${state}`);
    setText(text, refusal ? labelled(label, describeError(refusal)) : label);
  };
  onLanguageChange(render);
  const set = (next) => {
    state = next;
    if (next === FeedState.ONLINE) refusal = null;
    render();
  };
  set.refused = (error) => {
    // A dropped network is the state's business; only the hub's own answers are shown.
    if (!error?.code || error.code === "socket") return;
    refusal = error;
    render();
  };
  return set;
}

/** A phase's name in the page language. */
export function phaseName(phase, paused = false) {
  const name = tOr(`phase.${phase}`, phase);
  return paused ? aside(name, t("phase.paused")) : name;
}

/** A read-out item's label in the page language. */
export function itemLabel(item, language) {
  return language === "en" ? item.label_en || item.label_zh : item.label_zh || item.label_en;
}

/** An instant for people, or a dash when there is none. */
export function when(instant) {
  return instant ? formatDateTime(instant) : "—";
}

/** The path segment after `/prefix/`, e.g. the tender id of `/screen/ZB-2026-000001`. */
export function pathParameter(prefix) {
  const parts = location.pathname.split("/").filter(Boolean);
  const at = parts.indexOf(prefix);
  return at >= 0 && parts[at + 1] ? decodeURIComponent(parts[at + 1]) : null;
}

/**
 * A refusal the page makes itself, before asking the hub: `field` names the refused member as
 * the hub would (`org_name`, `lots[1].ceiling`) and the message already says which it is.
 */
export class FieldRefusal extends Error {
  constructor(field, message) {
    super(message);
    this.name = "FieldRefusal";
    this.field = field;
  }
}

/** The control of `form` a refused member names: `reason`, `text`, or `lots[1].id` (the second
 *  control named `lot-id` or marked `data-field="lots.id"`; the first one named `id` or `lots`),
 *  if the form has one. */
function controlFor(form, field) {
  const indexed = /^([A-Za-z_]+)\[(\d+)\]\.([A-Za-z_]+)$/.exec(field);
  if (indexed) {
    const [, list, index, member] = indexed;
    const rows = form.querySelectorAll(
      `[name="${CSS.escape(`${list.replace(/s$/, "")}-${member}`)}"], [data-field="${CSS.escape(`${list}.${member}`)}"]`,
    );
    if (rows[Number(index)]) return rows[Number(index)];
  }
  const parts = field.split(/[.[\]]+/).filter(Boolean);
  const names = [field, parts.at(-1), parts[0], `${parts[0]?.replace(/s$/, "")}-${parts.at(-1)}`];
  for (const name of names) {
    // `data-field` names the member a control fills when its name differs (minutes sent as seconds).
    const control = name && form.querySelector(`[data-field="${CSS.escape(name)}"], [name="${CSS.escape(name)}"]`);
    if (control) return control;
  }
  return null;
}

/** A control's label as people read it (without the hint beside it). */
function labelOf(control) {
  const label = control?.labels?.[0];
  if (!label) return "";
  const copy = label.cloneNode(true);
  for (const hint of copy.querySelectorAll(".hint")) hint.remove();
  return copy.textContent.trim();
}

/** Controls marked invalid by the message in `node`. */
function markedBy(node) {
  return node.id ? [...document.querySelectorAll(`[aria-errormessage="${CSS.escape(node.id)}"]`)] : [];
}

function unmark(control) {
  control.removeAttribute("aria-invalid");
  control.removeAttribute("aria-errormessage");
}

/**
 * Show a refusal in `node`: of the hub (its error object) or of the page (a `FieldRefusal`).
 * When it names a field, the control is found in `form`, marked invalid and focused, and the
 * hub's message (which cannot know the form) is prefixed with the control's label (else the
 * member's name); the mark and the message go away as soon as that field is edited, or when
 * the message is cleared or replaced, when they stop being true.
 */
export function showRefusal(node, error, form = null) {
  const field = error?.field;
  const control = field && form ? controlFor(form, field) : null;
  const label = error instanceof FieldRefusal ? "" : labelOf(control) || field;
  const text = label ? t("error.in_field", { field: label, message: describeError(error) }) : describeError(error);
  showMessage(node, text, "error");
  if (!control) return;
  if (!node.id) node.id = `refusal-${Math.random().toString(36).slice(2)}`;
  control.setAttribute("aria-invalid", "true");
  control.setAttribute("aria-errormessage", node.id);
  if (!control.closest("[hidden]")) control.focus();
  const healed = () => {
    if (control.getAttribute("aria-errormessage") !== node.id) return;
    unmark(control);
    if (node.textContent === text) clearMessage(node);
  };
  control.addEventListener("input", healed, { once: true });
  control.addEventListener("change", healed, { once: true });
}

/** Show a message box (`kind`: info, ok, warn, error); its text is set as text, never HTML.
 *  Controls an earlier refusal in it marked are no longer so. */
export function showMessage(node, text, kind = "info") {
  for (const control of markedBy(node)) unmark(control);
  node.className = `message ${kind === "info" ? "" : kind}`.trim();
  node.textContent = text;
  node.hidden = false;
}

export function clearMessage(node) {
  for (const control of markedBy(node)) unmark(control);
  node.hidden = true;
  node.className = "message";
  node.textContent = "";
}

/** Run `work` with `button` disabled, so a double click does not send twice. */
export async function busy(button, work) {
  const card = button.closest(".card") ?? button.closest("section, form");
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    keepFocus(button, card);
  }
}

const focusable = (node) => node?.isConnected && !node.closest("[hidden]") && node.getClientRects().length > 0;

/**
 * After an action the focus must not fall to `<body>` (a disabled, hidden or replaced button
 * drops it, and a screen reader then starts again from the top): it goes to what the action
 * said (the card's message), else back to the button, else to the card's heading.
 */
export function keepFocus(button, card) {
  const active = document.activeElement;
  if (active && active !== document.body && active !== button) return;
  // A standing message (what the card says on its own, not an action's answer) is skipped.
  const message = card?.querySelector(".message:not([hidden]):not(.standing)");
  const heading = card?.querySelector("h2, h3");
  const target = [message, button, heading].find(focusable);
  if (!target) return;
  if (target !== button && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  target.focus();
}

/**
 * Show the session's countdown in `caption` and `digits`, on the server's
 * clock; a paused window shows the time it keeps, frozen. Returns false when
 * there is nothing to count down to (the page may show something else).
 */
export function showCountdown(caption, digits, view, clock) {
  const target = countdownTarget(view);
  if (view.paused && target.kind) {
    setText(caption, t("countdown.paused", { reason: isolate(view.pause_reason) }));
    setText(digits, target.frozenMs === null ? "--:--" : formatCountdown(target.frozenMs));
    return true;
  }
  // A publicity period that has run out is over, not a zero to stare at.
  if (target.at && (target.kind !== "publicity" || clock.until(target.at) > 0)) {
    setText(caption, t(`countdown.${target.kind}`));
    setText(digits, formatCountdown(clock.until(target.at)));
    return true;
  }
  setText(caption, "");
  setText(digits, "—");
  return false;
}
