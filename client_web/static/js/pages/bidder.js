// The bidder room: keys and sign-in, then one tender at a time from submission to the record.

import { Api, describeError } from "../api.js";
import { AccountError, checkNewPassphrase, keyFileText, logIn, register, unlockKeys } from "../bidder/account.js";
import { signedDeadlineOf } from "../bidder/documents.js";
import { OpeningCard, ownClock } from "../bidder/opening.js";
import { RehearsalCard } from "../bidder/rehearsal.js";
import { CLOCK_MARGIN_MS } from "../bidder/release.js";
import { bindResultObjection, renderBidderResults } from "../bidder/result.js";
import { SubmissionCard } from "../bidder/submission.js";
import { ServerClock, everySecond } from "../clock.js";
import { byId, download, el, replaceChildren, setText, show } from "../dom.js";
import { FeedState, SessionFeed } from "../feed.js";
import { currentLanguage, formatWindow, listed, onLanguageChange, t } from "../i18n.js";
import {
  bootPage,
  busy,
  clearMessage,
  connectionIndicator,
  itemLabel,
  showCountdown,
  showMessage,
  showRefusal,
  when,
} from "../page.js";
import { RecordCard } from "../record-view.js";
import { sessionStatus } from "../result-view.js";
import { countdownTarget } from "../session-view.js";
import { forgetKeyFile, listKeyFiles, loadKeyFile, saveKeyFile } from "../vault.js";

const api = new Api();
const clock = new ServerClock();

/** Everything the cards share; the private keys live here, in memory, for this page only. */
const room = {
  api,
  clock,
  bidderId: null,
  orgName: null,
  keys: null,
  keyFileText: null,
  // The tender the bidder opened (the URL or the choice); never the id in a server answer.
  tenderId: null,
  tender: null,
  // The deadline of this tender by the receipts this browser keeps (display; null: none).
  signedDeadline: null,
  view: null,
  feed: null,
  receipts: new Map(),
  signedInHere: new Set(),
  async requireKeys() {
    if (!room.keys) throw new AccountError("account.keys_locked");
    return room.keys;
  },
  async onChanged() {
    await refreshSignedDeadline();
    await submission.renderBids().catch((error) => showMessage(byId("submit-message"), describeError(error), "error"));
  },
};

let submission;
let opening;
let recordCard = null;
let lastPhase = null;
let setConnection = () => {};

// ---- account ---------------------------------------------------------------------------

async function renderStoredKeys() {
  const select = byId("login-stored");
  let stored = [];
  try {
    stored = await listKeyFiles();
  } catch {
    // No IndexedDB (private mode, policy): key files from disk still work.
  }
  replaceChildren(
    select,
    stored.map((entry) => el("option", { value: entry.bidderId, text: `${entry.orgName}（${entry.bidderId}）` })),
    el("option", { value: "", text: t("account.from_file") }),
  );
  room.storedKeys = new Map(stored.map((entry) => [entry.bidderId, entry]));
  renderLoginChoice();
}

function renderLoginChoice() {
  const fromFile = byId("login-stored").value === "";
  show(byId("login-file-fields"), fromFile);
  show(byId("forget-stored-actions"), !fromFile);
}

/** Remove a stored key file after the bidder confirms; true when it was removed. */
async function forgetStoredKey(bidderId) {
  if (!window.confirm(t("account.forget_confirm", { id: bidderId }))) return false;
  await forgetKeyFile(bidderId);
  return true;
}

async function forgetFromLogin() {
  const message = byId("login-message");
  clearMessage(message);
  const bidderId = byId("login-stored").value;
  if (!bidderId) return;
  try {
    if (!(await forgetStoredKey(bidderId))) return;
    await renderStoredKeys();
    showMessage(message, t("account.forgotten"), "ok");
  } catch (error) {
    showMessage(message, describeError(error), "error");
  }
}

async function forgetFromWorkspace() {
  const notice = byId("key-notice");
  try {
    if (!(await forgetStoredKey(room.bidderId))) return;
    show(byId("forget-key"), false);
    showMessage(notice, t("account.forgotten"), "ok");
  } catch (error) {
    showMessage(notice, describeError(error), "error");
  }
}

/** Whether this browser keeps the signed-in bidder's key file. */
async function keyFileKeptHere() {
  try {
    return Boolean(await loadKeyFile(room.bidderId));
  } catch {
    return false; // no IndexedDB: nothing is kept
  }
}

/** At log-out a kept key file is a question: a shared computer should not keep it. */
function askAboutKeyFile() {
  const dialog = byId("logout-dialog");
  return new Promise((resolve) => {
    dialog.returnValue = "cancel";
    dialog.addEventListener("close", () => resolve(dialog.returnValue || "cancel"), { once: true });
    dialog.showModal();
  });
}

async function submitLogin() {
  const message = byId("login-message");
  clearMessage(message);
  const choice = byId("login-stored").value;
  const passphrase = byId("login-passphrase").value;
  try {
    let bidderId;
    let text;
    const stored = room.storedKeys?.get(choice);
    if (stored) {
      bidderId = stored.bidderId;
      text = stored.keyFileText;
    } else {
      bidderId = byId("login-bidder-id").value.trim();
      if (!bidderId) throw new AccountError("account.bidder_id_missing", {}, "bidder_id");
      text = await keyFileText(byId("login-key-file").files[0]);
    }
    const keys = await unlockKeys(text, passphrase);
    api.token = await logIn(api, bidderId, keys);
    const me = await api.get("/api/bidders/me");
    if (!stored) await saveKeyFile({ bidderId, orgName: me.org_name, keyFileText: text }).catch(() => {});
    await enterWorkspace({ bidderId, orgName: me.org_name, keys, keyFileText: text });
  } catch (error) {
    api.token = null;
    showRefusal(message, error, byId("login-form"));
  } finally {
    byId("login-passphrase").value = "";
  }
}

function registerUsesFile() {
  return byId("reg-existing").checked;
}

function renderRegisterMode() {
  show(byId("reg-file-fields"), registerUsesFile());
  show(byId("reg-repeat-fields"), !registerUsesFile());
  setText(byId("register-form").querySelector('button[type="submit"]'), registerUsesFile() ? t("account.register_with_file") : t("account.register_button"));
}

async function submitRegister() {
  const message = byId("register-message");
  clearMessage(message);
  const orgName = byId("reg-org").value.trim();
  const contact = byId("reg-contact").value.trim();
  const passphrase = byId("reg-passphrase").value;
  try {
    if (!orgName) throw new AccountError("account.org_missing", {}, "org_name");
    if (!contact) throw new AccountError("account.contact_missing", {}, "contact");
    let existingKeyFile = null;
    if (registerUsesFile()) {
      existingKeyFile = byId("reg-key-file").files[0];
      if (!existingKeyFile) throw new AccountError("account.choose_key_file", {}, "key_file");
    } else {
      checkNewPassphrase(passphrase, byId("reg-passphrase2").value);
    }
    showMessage(message, t(existingKeyFile ? "account.checking_key" : "account.generating"));
    const made = await register(api, { orgName, contact, passphrase, existingKeyFile });
    if (made.generated) {
      download(`bidder-key-${made.bidderId}.json`, made.keyFileText, "application/json");
    }
    api.token = await logIn(api, made.bidderId, made.keys);
    await enterWorkspace({ bidderId: made.bidderId, orgName, keys: made.keys, keyFileText: made.keyFileText });
    const notice = byId("key-notice");
    showMessage(notice, t(made.generated ? "account.registered_generated" : "account.registered", { id: made.bidderId }), made.generated ? "warn" : "ok");
  } catch (error) {
    showRefusal(message, error, byId("register-form"));
  } finally {
    byId("reg-passphrase").value = "";
    byId("reg-passphrase2").value = "";
  }
}

// Phases in which leaving the room could cost the bidder its bid (a key not handed over in
// the window, a record not confirmed): the browser asks before the page goes.
const LIVE_PHASES = new Set(["opening", "quorum_decision", "decryption", "confirmation"]);
let leaving = false;

function askBeforeLeaving(event) {
  if (leaving || !LIVE_PHASES.has(room.view?.phase)) return;
  event.preventDefault();
  event.returnValue = "";
}

async function logOut() {
  if (room.bidderId && (await keyFileKeptHere())) {
    const answer = await askAboutKeyFile();
    if (answer === "cancel") return;
    if (answer === "forget") await forgetKeyFile(room.bidderId).catch(() => {});
  }
  leaving = true;
  await api.post("/api/logout", {}).catch(() => {});
  // Reloading drops the keys and the token from memory in one step.
  location.reload();
}

// ---- workspace -------------------------------------------------------------------------

async function enterWorkspace({ bidderId, orgName, keys, keyFileText: text }) {
  Object.assign(room, { bidderId, orgName, keys, keyFileText: text });
  show(byId("account"), false);
  show(byId("workspace"));
  const who = byId("who");
  setText(who, `${orgName}（${bidderId}）`);
  show(who);
  show(byId("logout"));
  show(byId("forget-key"), await keyFileKeptHere());
  show(byId("connection"));
  await loadTenders();
  // The room's first news (the tender and its phase), not the whole page framed by a ring.
  const heading = byId("tender-heading");
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}

async function loadTenders() {
  const select = byId("tender-select");
  const { tenders } = await api.get("/api/tenders?limit=200");
  replaceChildren(
    select,
    tenders.length
      ? tenders.map((tender) => el("option", { value: tender.id, text: `${tender.code} ${tender.title}` }))
      : el("option", { value: "", text: t("tender.none") }),
  );
  // The tender the URL names is the one opened, listed or not (after a reload or a new login).
  const wanted = new URLSearchParams(location.search).get("tender");
  if (wanted && !tenders.some((tender) => tender.id === wanted)) select.prepend(el("option", { value: wanted, text: wanted }));
  if (wanted) select.value = wanted;
  if (select.value) await selectTender(select.value);
}

async function selectTender(tenderId) {
  room.feed?.stop();
  room.view = null;
  recordCard = new RecordCard(api, byId("record-card"));
  lastPhase = null;
  room.tenderId = tenderId;
  room.signedDeadline = null;
  // What the cards said (and the fields they marked) was about the tender left behind.
  for (const id of ["submit-message", "decrypt-message", "confirm-message"]) clearMessage(byId(id));
  show(byId("submit-sealed-values"), false);
  const url = new URL(location.href);
  url.searchParams.set("tender", tenderId);
  history.replaceState(null, "", url);
  // The body describes the tender; its id is ours, whatever the answer says.
  room.tender = { ...(await api.get(`/api/tenders/${encodeURIComponent(tenderId)}`)), id: tenderId };
  renderTender();
  await refreshSignedDeadline();
  submission.renderForm(room.tender);
  await submission.renderBids().catch(() => {});
  room.feed = new SessionFeed({
    namespace: "/bidder",
    sessionId: tenderId,
    auth: { token: api.token },
    onView: (view) => {
      room.view = view;
      renderSession();
    },
    onState: setConnection,
    onError: (error) => {
      setConnection.refused(error);
      console.warn("feed:", describeError(error));
    },
  }).start();
}

function renderTender() {
  const tender = room.tender;
  if (!tender) return;
  setText(byId("tender-heading"), `${tender.title}`);
  const language = currentLanguage();
  const facts = [
    [t("tender.code"), tender.code],
    [t("tender.deadline"), when(tender.deadline)],
    [t("tender.signin_opens"), when(tender.signin_opens_at)],
    [t("tender.decryption_window"), formatWindow(tender.decryption_seconds)],
    [t("tender.lots"), listed(tender.lots.map((lot) => lot.name))],
    [t("tender.readout_items"), listed(tender.readout_items.map((item) => itemLabel(item, language)))],
  ];
  replaceChildren(byId("tender-facts"), facts.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]));
}

async function refreshSignedDeadline() {
  if (!room.tenderId || !room.bidderId) return;
  const tenderId = room.tenderId;
  const deadline = await signedDeadlineOf(api, tenderId, room.bidderId).catch(() => null);
  if (room.tenderId === tenderId) room.signedDeadline = deadline;
  renderReleaseClocks();
}

/** Both clocks and the signed deadline; a warning when the hub says "decryption" too early. */
function renderReleaseClocks() {
  if (!room.tenderId) return;
  const own = ownClock();
  const deadline = room.signedDeadline;
  const facts = [
    [t("release.own_clock"), when(new Date(own).toISOString())],
    [t("release.hub_clock"), clock.synced ? when(new Date(clock.now()).toISOString()) : "—"],
    [t("release.signed_deadline"), deadline ? when(deadline.text) : t("release.no_receipt_here")],
  ];
  replaceChildren(byId("release-clocks"), facts.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]));
  const early = room.view?.phase === "decryption" && deadline !== null && own < deadline.at + CLOCK_MARGIN_MS;
  const status = byId("release-status");
  if (early) showMessage(status, t("release.hub_says_open", { deadline: when(deadline.text), own: when(new Date(own).toISOString()) }), "warn");
  else clearMessage(status);
}

// The countdown is a silent timer (role=timer); these moments are said aloud instead.
const SPOKEN_MINUTES = [10, 5, 1];
let spokenKey = "";

function announceTimeLeft(view) {
  const target = countdownTarget(view);
  if (!["deadline", "decryption", "confirmation"].includes(target.kind) || !target.at) return;
  const minutes = SPOKEN_MINUTES.find((m) => {
    const left = clock.until(target.at);
    return left <= m * 60_000 && left > (m * 60_000 - 5_000);
  });
  const key = `${view.tender_id} ${target.kind} ${target.at} ${minutes}`;
  if (minutes === undefined || key === spokenKey) return;
  spokenKey = key;
  setText(byId("time-left-alert"), t("countdown.minutes_left", { what: t(`countdown.${target.kind}`), minutes }));
}

function renderCountdown() {
  const view = room.view;
  if (!view) return;
  setText(byId("phase"), sessionStatus(view, clock));
  showCountdown(byId("countdown-caption"), byId("countdown"), view, clock);
  announceTimeLeft(view);
  // A publicity ending closes the objection form without an event.
  renderBidderResults(byId("result-card"), view, clock.now());
}

function renderSession() {
  const view = room.view;
  if (!view) return;
  if (view.deadline && room.tender) room.tender.deadline = view.deadline;
  renderCountdown();
  show(byId("submit-card"), view.phase === "scheduled");
  // A rehearsal is for the days before the opening; after the deadline the real thing is on.
  show(byId("rehearsal-card"), ["unscheduled", "scheduled"].includes(view.phase));
  if (view.phase !== lastPhase) {
    lastPhase = view.phase;
    // The actions on one's own bids depend on the phase (withdraw only before the deadline).
    submission.renderBids().catch(() => {});
  }
  opening.render(view);
  recordCard.render(room.tenderId, view.record);
  renderBidderResults(byId("result-card"), view, clock.now());
}

// ---- start -----------------------------------------------------------------------------

async function main() {
  bootPage();
  window.addEventListener("beforeunload", askBeforeLeaving);
  submission = new SubmissionCard(room);
  opening = new OpeningCard(room);
  bindResultObjection(room);
  new RehearsalCard(room);
  setConnection = connectionIndicator();
  setConnection(FeedState.CONNECTING);

  byId("login-stored").addEventListener("change", renderLoginChoice);
  byId("forget-stored").addEventListener("click", forgetFromLogin);
  byId("forget-key").addEventListener("click", forgetFromWorkspace);
  byId("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy(event.submitter ?? byId("login-form").querySelector("button"), submitLogin);
  });
  for (const radio of document.querySelectorAll('input[name="key-source"]')) radio.addEventListener("change", renderRegisterMode);
  byId("register-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy(event.submitter ?? byId("register-form").querySelector('button[type="submit"]'), submitRegister);
  });
  byId("logout").addEventListener("click", logOut);
  byId("tender-select").addEventListener("change", (event) => {
    if (event.currentTarget.value) selectTender(event.currentTarget.value).catch((error) => console.warn(describeError(error)));
  });
  byId("download-key").addEventListener("click", () => {
    if (room.keyFileText) download(`bidder-key-${room.bidderId}.json`, room.keyFileText, "application/json");
  });
  byId("record-download").addEventListener("click", () => recordCard?.download(room.tenderId));
  onLanguageChange(() => {
    renderRegisterMode();
    renderStoredKeys();
    renderTender();
    if (room.tender) submission.renderForm(room.tender);
    renderSession();
    room.onChanged();
  });
  renderRegisterMode();
  await renderStoredKeys();
  await clock.start();
  everySecond(clock, () => {
    renderCountdown();
    renderReleaseClocks();
    // Sign-in opens at an instant, not with an event.
    if (room.view) opening.renderSignIn(room.view, room.view.you ?? {});
  });
  // Tests and support staff can look at the room's state (never at the keys).
  window.bidopenBidder = { view: () => room.view, bidderId: () => room.bidderId };
}

main();
