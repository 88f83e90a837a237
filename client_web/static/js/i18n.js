// Page language: zh-CN by default, English second; translates marked elements and formats values.

import zhCN from "./i18n/zh-CN.js";
import en from "./i18n/en.js";

export const LANGUAGES = Object.freeze({ "zh-CN": zhCN, en });
export const DEFAULT_LANGUAGE = "zh-CN";
const STORAGE_KEY = "bidopen.lang";

let language = initialLanguage();
const listeners = new Set();

function initialLanguage() {
  const fromQuery = new URLSearchParams(location.search).get("lang");
  if (fromQuery && fromQuery in LANGUAGES) return fromQuery;
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored && stored in LANGUAGES) return stored;
  } catch {
    // Storage can be disabled by policy; the default language still works.
  }
  return DEFAULT_LANGUAGE;
}

export function currentLanguage() {
  return language;
}

/**
 * The message for `key` in the current language, with `{name}` placeholders
 * filled from `vars`. A key missing in English falls back to Chinese, and a
 * key missing everywhere shows itself, so a gap is visible rather than blank.
 */
export function t(key, vars = {}) {
  return tIn(language, key, vars);
}

/** "label：value" in Chinese, "label: value" in English (full-width marks are Chinese only). */
export function labelled(label, value = "") {
  return t("punct.labelled", { label, value });
}

/** "甲、乙" in Chinese, "A, B" in English. */
export function listed(items) {
  return items.join(t("punct.list"));
}

/** "text（note）" in Chinese, "text (note)" in English. */
export function aside(text, note) {
  return t("punct.aside", { text, note });
}

/** `t` in a given language, whatever the page shows (the hall hears Chinese). */
export function tIn(lang, key, vars = {}) {
  const template = LANGUAGES[lang]?.[key] ?? LANGUAGES[DEFAULT_LANGUAGE][key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in vars ? String(vars[name]) : whole,
  );
}

/** `t` when the key exists, else `fallback` (for codes from the server we may not know). */
export function tOr(key, fallback, vars = {}) {
  return key in LANGUAGES[DEFAULT_LANGUAGE] ? t(key, vars) : fallback;
}

export function setLanguage(next) {
  if (!(next in LANGUAGES) || next === language) return;
  language = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered across visits; this visit still switches.
  }
  translatePage();
  for (const listener of listeners) listener(language);
}

/** Call `listener(language)` after every switch (pages re-render their dynamic parts). */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Translate the static parts of the page: `data-i18n` sets the text,
 * `data-i18n-placeholder`, `data-i18n-aria-label`, `data-i18n-title` and `data-i18n-alt` the
 * attributes of the same names. Also sets `<html lang>`.
 */
export function translatePage(root = document) {
  document.documentElement.lang = language;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const [datasetKey, attribute] of [
    ["i18nPlaceholder", "placeholder"],
    ["i18nAriaLabel", "aria-label"],
    ["i18nTitle", "title"],
    ["i18nAlt", "alt"],
  ]) {
    const selector = `[data-${datasetKey.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const node of root.querySelectorAll(selector)) {
      node.setAttribute(attribute, t(node.dataset[datasetKey]));
    }
  }
}

/** Wire a `<button>` that toggles between the two languages. */
export function bindLanguageSwitch(button) {
  // Its name is "切换语言 English" (or "Switch language 中文"): what it does in the page's
  // language, then the visible name of the other language in that language, so that the
  // name contains what is seen and a screen reader speaks each part in its own voice.
  const render = () => {
    const other = language === "en" ? "zh-CN" : "en";
    button.removeAttribute("aria-label");
    button.removeAttribute("lang");
    button.replaceChildren(
      Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: `${t("lang.switch")} ` }),
      Object.assign(document.createElement("span"), { lang: other, textContent: LANGUAGES[other]["lang.name"] }),
    );
  };
  button.addEventListener("click", () => setLanguage(language === "en" ? "zh-CN" : "en"));
  onLanguageChange(render);
  render();
}


/** An instant shown in China Standard Time, where the trading centres are. */
export function formatDateTime(instant, { seconds = true } = {}) {
  const date = instant instanceof Date ? instant : new Date(instant);
  if (Number.isNaN(date.getTime())) return "—";
  // Year first and the zone named in both languages: a day-first date without a zone is read
  // differently by different people.
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Shanghai",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  const time = seconds ? `${parts.hour}:${parts.minute}:${parts.second}` : `${parts.hour}:${parts.minute}`;
  return `${parts.year}-${parts.month}-${parts.day} ${time} ${t("time.zone")}`;
}

/** A duration as H:MM:SS (or MM:SS under an hour); negative durations show as zero. */
export function formatDuration(milliseconds) {
  const total = Math.max(0, Math.floor(milliseconds / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(secs)}` : `${pad(minutes)}:${pad(secs)}`;
}

/** A window's length given in seconds, as trading centres count it: minutes when whole. */
export function formatWindow(seconds) {
  if (!Number.isInteger(seconds)) return "—";
  return seconds % 60 === 0 ? t("time.minutes", { minutes: seconds / 60 }) : t("time.seconds", { seconds });
}

/** A countdown: "MM:SS", "H:MM:SS", and with days "3天 04:05:06" (the clock part always whole). */
export function formatCountdown(milliseconds) {
  const left = Math.max(0, milliseconds);
  const days = Math.floor(left / 86_400_000);
  if (days === 0) return formatDuration(left);
  const rest = formatDuration(left - days * 86_400_000);
  const clock = rest.split(":").length === 2 ? `00:${rest}` : rest.padStart(8, "0");
  return t("time.days", { days, rest: clock });
}

/** A byte count for people (1.5 MB). */
export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
