// The /verify page: an opening's bundle checked in this browser (static/js/verify/), with the
// trust the user brings (the log's key, witnesses and quorum, the server's key, kept receipts,
// a checkpoint saved earlier). Files are read locally; this page sends nothing to the hub.

import * as bidseal from "/static/vendor/bidseal.bundle.js";
import { byId, el, replaceChildren, setText } from "../dom.js";
import { onLanguageChange, t } from "../i18n.js";
import { bootPage } from "../page.js";
import { VerificationFailed, verifyBundle } from "../verify/bundle-check.js";

let shown = null; // the last outcome, re-rendered when the language changes

const linesOf = (text) => text.split("\n").map((l) => l.trim()).filter(Boolean);

/** The server key as the user pasted it: GET /api/server-key's JSON, or the key alone. */
function serverKeyOf(text) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (trimmed.startsWith("{")) return String(JSON.parse(trimmed).key);
  return trimmed;
}

async function trustFromForm() {
  const receiptsFile = byId("receipts-file").files[0];
  const old = byId("old-checkpoint").value.replace(/\r\n/g, "\n");
  return {
    logVkey: byId("log-vkey").value.trim() || null,
    witnesses: linesOf(byId("witness-vkeys").value),
    quorum: Number(byId("quorum").value || 0),
    serverKey: serverKeyOf(byId("server-key").value),
    receipts: receiptsFile ? linesOf(await receiptsFile.text()).map((line) => JSON.parse(line)) : [],
    oldCheckpoint: old.trim() ? `${old.trimEnd()}\n` : null,
  };
}

/** A line's facts as the page says them: a phase in the page's words. */
function factsOf(line) {
  return line.facts.phase === undefined ? line.facts : { ...line.facts, phase: t(`phase.${line.facts.phase}`) };
}

function render() {
  const status = byId("verify-status");
  const reason = byId("verify-reason");
  if (shown === null) {
    setText(status, t("verify.idle"));
    reason.hidden = true;
    return;
  }
  const { report, failure, error } = shown;
  status.dataset.outcome = failure || error ? "failed" : "verified";
  setText(status, failure ? t("verify.failed") : error ? t("verify.unreadable") : t("verify.verified"));
  reason.hidden = !(failure || error);
  setText(reason, failure ? failure.reason + (failure.detail ? ` (${failure.detail})` : "") : error ?? "");
  replaceChildren(
    byId("verify-lines"),
    (report?.lines ?? []).map((line) => el("li", { dataset: { check: line.key }, text: t(`verify.line.${line.key}`, factsOf(line)) })),
  );
  replaceChildren(
    byId("verify-warnings"),
    (report?.warnings ?? []).map((w) => el("li", { dataset: { warning: w.key }, text: t(`verify.warn.${w.key}`) })),
  );
}

/** The checks that passed before a failure are shown too: the report is filled as it goes. */
async function run(event) {
  event.preventDefault();
  const file = byId("bundle-file").files[0];
  if (!file) return;
  shown = null;
  setText(byId("verify-status"), t("verify.running"));
  const progress = { lines: [], warnings: [] };
  try {
    const bundle = JSON.parse(await file.text());
    const trust = await trustFromForm();
    const report = await verifyBundle(bundle, trust, bidseal.verifySignedDocument, bidseal);
    shown = { report };
  } catch (failure) {
    if (failure instanceof VerificationFailed) shown = { report: failure.report ?? progress, failure };
    else shown = { report: progress, error: String(failure?.message ?? failure) };
  }
  render();
}

function main() {
  bootPage();
  onLanguageChange(render);
  byId("verify-form").addEventListener("submit", (event) => {
    run(event).catch((error) => console.error("verify:", error));
  });
}

main();
