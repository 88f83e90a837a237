// At the opening: sign in, unwrap the data key here and hand it over, then confirm or object.

import {
  b64uEncode,
  confirmationMessage,
  objectionMessage,
  parseSealed,
  readoutSha256,
  signStatement,
  unwrapDataKey,
} from "/static/vendor/bidseal.bundle.js";
import { describeError } from "../api.js";
import { byId, el, isolate, replaceChildren, setText, show } from "../dom.js";
import { aside, t, tOr } from "../i18n.js";
import { FieldRefusal, busy, clearMessage, showMessage, showRefusal, when } from "../page.js";
import { readoutTables } from "../readout-table.js";
import { lotName, progress } from "../session-view.js";
import { loadSealedBid } from "../vault.js";
import { keepArrived, keptDocuments, releasePlan } from "./documents.js";
import { LogProofRefused, proveKeptReceipts } from "./log-proof.js";
import { CLOCK_MARGIN_MS, ReleaseRefused, checkTime, chosenBid } from "./release.js";

/** This computer's clock (ms): the one that decides when a data key may leave it. */
export function ownClock() {
  return Date.now();
}

/** Why the room does not hand over a key, in the page's language, with the facts it used. */
export function refusalText(error) {
  const facts = error.facts ?? {};
  const vars = { ...facts, what: t(`release.what_${facts.what ?? "deadline"}`) };
  for (const name of ["at", "deadline", "signed", "named", "own"]) {
    if (facts[name]) vars[name] = when(facts[name]);
  }
  const text = t(`release.${error.code}`, vars);
  return facts.unsignedLater ? `${text} ${t("release.unsigned_later", vars)}` : text;
}

/** Wait for the bidder to choose a file in `input`; resolves with the File. */
function chooseFile(input) {
  return new Promise((resolve) => {
    input.value = "";
    input.addEventListener("change", () => resolve(input.files[0]), { once: true });
    input.focus();
  });
}

export class OpeningCard {
  constructor(room) {
    this.room = room;
    this.listShape = null;
    this.logProof = { tender: null, busy: false, done: false };
    this.decryptMessage = byId("decrypt-message");
    this.confirmMessage = byId("confirm-message");
    byId("signin-button").addEventListener("click", (event) => busy(event.currentTarget, () => this.signIn()));
    byId("confirm-button").addEventListener("click", (event) => busy(event.currentTarget, () => this.confirm()));
    byId("objection-form").addEventListener("submit", (event) => {
      event.preventDefault();
      busy(event.submitter ?? event.currentTarget, () => this.object());
    });
  }

  sessionPath(suffix) {
    return `/api/sessions/${encodeURIComponent(this.room.tenderId)}${suffix}`;
  }

  async signIn() {
    clearMessage(this.decryptMessage);
    try {
      await this.room.api.post(this.sessionPath("/sign-in"), {});
      this.room.signedInHere.add(this.room.tenderId);
      this.render(this.room.view);
    } catch (error) {
      showRefusal(this.decryptMessage, error);
    }
  }

  /** A file the bidder chooses in `fields` (shown while asked); refuses if none is chosen. */
  async askForFile(fields, input, prompt) {
    show(byId(fields));
    showMessage(this.decryptMessage, t(prompt), "warn");
    const file = await chooseFile(byId(input));
    show(byId(fields), false);
    if (!file) throw new Error(t(prompt));
    return file;
  }

  /**
   * The kept receipts and withdrawals of (tender, lot); with none, the bidder may give the
   * receipt it downloaded (or the command line printed), checked with the server key.
   */
  async documentsOf(tender, lot) {
    const { api, bidderId } = this.room;
    const kept = await keptDocuments(tender, lot, bidderId);
    if (kept.some((d) => d.type === "receipt")) return kept;
    const file = await this.askForFile("decrypt-receipt-fields", "decrypt-receipt", "release.need_receipt");
    try {
      await keepArrived(api, "receipt", await file.text(), { tender, lot, bidder: bidderId });
    } catch (error) {
      if (error?.name === "DocumentRefused") throw error;
      throw new Error(t("release.receipt_unreadable"));
    }
    return keptDocuments(tender, lot, bidderId);
  }

  /** The sealed file of the chosen bid: kept by this browser (unless ended), or chosen by the bidder. */
  async sealedFileOf(receipt) {
    const kept = await loadSealedBid(receipt.bidSha256).catch(() => null);
    if (kept?.blob && !kept.ended) return kept.blob;
    return this.askForFile("decrypt-file-fields", "decrypt-file", "opening.need_sealed_file");
  }

  /** What is about to be opened, from the room's own signed receipt; the bidder confirms it. */
  confirmRelease(plan) {
    const r = plan.receipt;
    return window.confirm(
      t("release.confirm", {
        code: r.tenderCode || r.tender,
        title: r.tenderTitle,
        lot: r.lotName || r.lot,
        at: when(r.atText),
        bid: r.bidSha256,
        deadline: when(plan.deadlineText),
      }),
    );
  }

  /**
   * Hand over the data key of our bid in `bid.lot`, only if this room's own rule allows it:
   * the tender the bidder opened (never one named in an answer), the bid of the latest kept
   * receipt (never a replaced or withdrawn one), after the signed deadline by this computer's
   * clock plus the margin, and once the bidder confirmed what is being opened.
   */
  async decrypt(bid) {
    clearMessage(this.decryptMessage);
    const { tenderId, bidderId, api } = this.room;
    const lot = bid.lot;
    try {
      const keys = await this.room.requireKeys();
      const kept = await this.documentsOf(tenderId, lot);
      // The hub must be asking for the bid of our latest receipt, and nothing else.
      const receipt = chosenBid(kept, { tender: tenderId, lot, bidder: bidderId, sealedSha256: bid.bid_sha256 });
      // Deadlines the hub states unsigned (its tender body now, its snapshot) are only waited for.
      const body = await api.get(`/api/tenders/${encodeURIComponent(tenderId)}`);
      const stated = [body?.deadline, this.room.view?.deadline].filter((said) => typeof said === "string");
      const plan = await releasePlan(api, receipt, stated);
      const wait = plan.opensAt - ownClock();
      if (wait > 0 && wait <= CLOCK_MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, wait));
      checkTime(plan, ownClock());
      const file = await this.sealedFileOf(receipt);
      const sealed = await parseSealed(file);
      chosenBid(kept, { tender: tenderId, lot, bidder: bidderId, sealedSha256: sealed.bidSha256 });
      if (!this.confirmRelease(plan)) {
        showMessage(this.decryptMessage, t("release.not_confirmed"), "warn");
        return;
      }
      checkTime(plan, ownClock());
      const name = plan.receipt.lotName || lotName(this.room.view, lot);
      showMessage(this.decryptMessage, t("opening.decrypting", { lot: name }));
      const dataKey = await unwrapDataKey(sealed, keys, { tender: tenderId, lot, bidder: bidderId });
      try {
        await api.post(`/api/tenders/${encodeURIComponent(tenderId)}/lots/${encodeURIComponent(lot)}/data-key`, {
          data_key: b64uEncode(dataKey),
        });
      } finally {
        dataKey.fill(0);
      }
      showMessage(this.decryptMessage, t("opening.decrypted", { lot: name }), "ok");
    } catch (error) {
      showMessage(this.decryptMessage, error instanceof ReleaseRefused ? refusalText(error) : describeError(error), "error");
    }
  }

  async confirm() {
    clearMessage(this.confirmMessage);
    try {
      // Signed here, with the bidder's own key, over the read-out this room shows.
      const keys = await this.room.requireKeys();
      const digest = await readoutSha256(this.room.view?.readout ?? null);
      const statement = confirmationMessage(this.room.tenderId, this.room.bidderId, digest);
      const signature = await signStatement(keys, statement);
      await this.room.api.post(this.sessionPath("/bidder/confirm"), { signature });
      showMessage(this.confirmMessage, t("confirm.done"), "ok");
    } catch (error) {
      showRefusal(this.confirmMessage, error);
    }
  }

  async object() {
    clearMessage(this.confirmMessage);
    const form = byId("objection-form");
    const text = byId("objection-text").value.trim();
    const lot = byId("objection-lot").value || null;
    try {
      if (!text) throw new FieldRefusal("text", t("objection.empty"));
      const keys = await this.room.requireKeys();
      const nonce = b64uEncode(crypto.getRandomValues(new Uint8Array(16)));
      const statement = objectionMessage(this.room.tenderId, this.room.bidderId, lot, nonce, text);
      const signature = await signStatement(keys, statement);
      await this.room.api.post(this.sessionPath("/bidder/object"), { lot, text, nonce, signature });
      byId("objection-text").value = "";
      showMessage(this.confirmMessage, t("objection.sent"), "ok");
    } catch (error) {
      showRefusal(this.confirmMessage, error, form);
    }
  }

  render(view) {
    const phase = view.phase;
    const afterDeadline = !["unscheduled", "scheduled"].includes(phase);
    const you = view.you ?? {};
    show(byId("opening-card"), phase !== "unscheduled");
    this.renderSignIn(view, you);
    this.renderProgress(view, afterDeadline);
    this.renderDecryptList(view, you, afterDeadline);
    this.renderReadout(view, you);
    if (afterDeadline) this.proveInLog().catch((error) => console.warn("log proof:", error.message));
  }

  /** Once per tender after the deadline: the kept receipts' bids are in the public log. */
  async proveInLog() {
    const tender = this.room.tenderId;
    const state = this.logProof;
    if (state.tender !== tender) Object.assign(state, { tender, busy: false, done: false });
    if (state.busy || state.done || !this.room.bidderId) return;
    state.busy = true;
    const box = byId("log-proof");
    const say = (text, kind = "info") => {
      showMessage(box, text, kind);
      box.classList.add("standing");
    };
    try {
      const found = await proveKeptReceipts(this.room.api, tender, this.room.bidderId, this.room.clock.now());
      if (found.state === "waiting") {
        say(t("opening.log_proof_waiting"));
        setTimeout(() => this.proveInLog(), 5000);
        return;
      }
      state.done = true;
      if (found.proofs.length) {
        const indexes = found.proofs.map((p) => `#${p.index}`).join(t("punct.list"));
        say(t("opening.log_proof_ok", { index: indexes }), "ok");
      }
    } catch (error) {
      if (!(error instanceof LogProofRefused)) throw error;
      state.done = true;
      say(t(`opening.log_proof_${error.code}`, error.facts), "error");
    } finally {
      state.busy = false;
    }
  }

  renderSignIn(view, you) {
    const signedIn = Boolean(you.signed_in_at) || this.room.signedInHere.has(this.room.tenderId);
    const opensAt = view.signin_opens_at ? new Date(view.signin_opens_at).getTime() : 0;
    const open = this.room.clock.now() >= opensAt;
    const canSignIn = !signedIn && open && !["closed", "evaluation", "result_published", "stopped", "aborted"].includes(view.phase);
    setText(
      byId("signin-status"),
      signedIn
        ? t("opening.signed_in", { at: you.signed_in_before_deadline || !you.signed_in_at ? t("opening.before_deadline") : when(you.signed_in_at) })
        : open
          ? t("opening.not_signed_in")
          : t("opening.signin_opens", { at: when(view.signin_opens_at) }),
    );
    byId("signin-button").hidden = signedIn;
    byId("signin-button").disabled = !canSignIn;
  }

  renderProgress(view, afterDeadline) {
    const counts = progress(view);
    const facts = afterDeadline
      ? [
          [t("screen.signed_in"), counts.signedIn ?? "—"],
          [t("screen.bids"), counts.bids ?? "—"],
          [t("screen.decrypted"), counts.decrypted === null ? "—" : `${counts.decrypted} / ${counts.bids}`],
        ]
      : [[t("opening.progress_later"), ""]];
    replaceChildren(byId("opening-progress"), facts.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: String(value) })]));
  }

  renderDecryptList(view, you, afterDeadline) {
    const list = byId("decrypt-list");
    // Rebuilt only when what it shows changed: a button replaced under the pointer loses a click.
    const shape = JSON.stringify([
      t("opening.decrypt"),
      afterDeadline,
      view.phase === "decryption" && !view.paused,
      (you.bids ?? []).map((bid) => [bid.lot, bid.bid_sha256, bid.decrypted_at, bid.failed_attempts, bid.outcome]),
      (view.lots ?? []).map((lot) => lot.name),
    ]);
    if (shape === this.listShape && list.childElementCount > 0) return;
    this.listShape = shape;
    if (!afterDeadline) {
      replaceChildren(list, el("li", { class: "muted", text: t("opening.decrypt_later") }));
      return;
    }
    const bids = you.bids ?? [];
    if (bids.length === 0) {
      replaceChildren(list, el("li", { class: "muted", text: t("opening.no_bids") }));
      return;
    }
    const windowOpen = view.phase === "decryption" && !view.paused;
    replaceChildren(
      list,
      bids.map((bid) => {
        let state;
        if (bid.outcome) state = el("span", { class: `badge ${bid.outcome.status === "opened" ? "ok" : "danger"}`, text: aside(tOr(`status.${bid.outcome.status}`, bid.outcome.status), tOr(`cause.${bid.outcome.cause}`, bid.outcome.cause)) });
        else if (bid.decrypted_at) state = el("span", { class: "badge ok", text: t("opening.decrypted_at", { at: when(bid.decrypted_at) }) });
        else if (bid.failed_attempts) state = el("span", { class: "badge danger", text: t("opening.failed", { n: bid.failed_attempts }) });
        else state = el("span", { class: "badge", text: t("opening.encrypted") });
        const canDecrypt = windowOpen && !bid.decrypted_at && !bid.outcome;
        return el(
          "li",
          { dataset: { lot: bid.lot } },
          el("span", { class: "grow" }, el("strong", { text: lotName(view, bid.lot) }), " ", el("span", { class: "mono muted", text: bid.bid_sha256.slice(0, 16) })),
          state,
          canDecrypt
            ? el("button", {
                type: "button",
                class: "primary",
                text: t("opening.decrypt"),
                on: { click: (event) => busy(event.currentTarget, () => this.decrypt(bid)) },
              })
            : null,
        );
      }),
    );
  }

  renderReadout(view, you) {
    const card = byId("readout-card");
    show(card, Boolean(view.readout));
    if (!view.readout) return;
    // A live region: rebuilt only when the read-out (or the language) changed, so that it is
    // read aloud once when it appears, not again with every event of the session.
    const shown = `${document.documentElement.lang} ${JSON.stringify(view.readout)} ${JSON.stringify(view.bidder_names ?? {})}`;
    if (shown !== this.readoutShown) {
      this.readoutShown = shown;
      replaceChildren(byId("readout-tables"), readoutTables(view));
    }
    const confirming = view.phase === "confirmation" && !view.paused;
    const confirmed = Boolean(you.confirmed_at);
    setText(
      byId("confirm-status"),
      confirmed
        ? t("confirm.confirmed_at", { at: when(you.confirmed_at) })
        : view.phase === "confirmation"
          ? t("confirm.pending")
          : (view.deemed_accepted ?? []).includes(this.room.bidderId)
            ? t("confirm.deemed")
            : "",
    );
    show(byId("confirm-button"), confirming && !confirmed);
    show(byId("objection-form"), confirming);
    const lotSelect = byId("objection-lot");
    if (lotSelect.options.length !== view.lots.length + 1) {
      replaceChildren(
        lotSelect,
        el("option", { value: "", text: t("objection.all_lots") }),
        view.lots.map((lot) => el("option", { value: lot.id, text: lot.name })),
      );
    }
    const mine = you.objections ?? [];
    replaceChildren(
      byId("my-objections"),
      mine.length
        ? mine.map((objection) =>
            el(
              "li",
              { class: "objection", dataset: { objection: objection.id } },
              el("time", { text: when(objection.raised_at) }),
              el("bdi", { text: objection.text }),
              el("span", {
                class: "answer",
                text: objection.answer ? `${t("screen.answer")}${isolate(objection.answer)}` : t("screen.awaiting_answer"),
              }),
            ),
          )
        : el("li", { class: "muted", text: t("objection.none") }),
    );
  }
}
