// What every page does on load: translate, wire the language switch, show the connection state.

import { byId, setText } from "./dom.js";
import { FeedState } from "./feed.js";
import { bindLanguageSwitch, formatDateTime, onLanguageChange, t, tOr, translatePage } from "./i18n.js";

/** Translate the static text and wire `#lang-switch` (every page has one). */
export function bootPage() {
  translatePage();
  const button = document.getElementById("lang-switch");
  if (button) bindLanguageSwitch(button);
}

/** Keep `#connection` (and its text `#connection-text`) in step with a feed's state. */
export function connectionIndicator() {
  const box = byId("connection");
  const text = byId("connection-text");
  let state = FeedState.CONNECTING;
  const render = () => {
    box.dataset.state = state;
    setText(text, t(`conn.${state}`));
  };
  onLanguageChange(render);
  return (next) => {
    state = next;
    render();
  };
}

/** A phase's name in the page language. */
export function phaseName(phase, paused = false) {
  const name = tOr(`phase.${phase}`, phase);
  return paused ? `${name}（${t("phase.paused")}）` : name;
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
