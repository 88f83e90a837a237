// At the opening: sign in, unwrap the data key here and hand it over, then confirm or object.

import { b64uEncode, parseSealed, unwrapDataKey } from "/static/vendor/bidseal.bundle.js";
import { describeError } from "../api.js";
import { byId, el, replaceChildren, setText, show } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { busy, clearMessage, showMessage, when } from "../page.js";
import { readoutTables } from "../readout-table.js";
import { lotName, progress } from "../session-view.js";
import { loadSealedBid } from "../vault.js";

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
    return `/api/sessions/${encodeURIComponent(this.room.tender.id)}${suffix}`;
  }

  async signIn() {
    clearMessage(this.decryptMessage);
    try {
      await this.room.api.post(this.sessionPath("/sign-in"), {});
      this.room.signedInHere.add(this.room.tender.id);
      this.render(this.room.view);
    } catch (error) {
      showMessage(this.decryptMessage, describeError(error), "error");
    }
  }

  /** The sealed file of a bid: kept by this browser when it sealed it, otherwise chosen by the bidder. */
  async sealedFileOf(bid) {
    const kept = await loadSealedBid(bid.bid_sha256).catch(() => null);
    if (kept?.blob) return kept.blob;
    show(byId("decrypt-file-fields"));
    showMessage(this.decryptMessage, t("opening.need_sealed_file"), "warn");
    const file = await chooseFile(byId("decrypt-file"));
    show(byId("decrypt-file-fields"), false);
    if (!file) throw new Error(t("opening.need_sealed_file"));
    return file;
  }

  async decrypt(bid) {
    clearMessage(this.decryptMessage);
    const { tender, bidderId, api } = this.room;
    const name = lotName(this.room.view, bid.lot);
    try {
      const keys = await this.room.requireKeys();
      const file = await this.sealedFileOf(bid);
      showMessage(this.decryptMessage, t("opening.decrypting", { lot: name }));
      const sealed = await parseSealed(file);
      if (sealed.bidSha256 !== bid.bid_sha256) throw new Error(t("opening.not_this_bid"));
      const dataKey = await unwrapDataKey(sealed, keys, { tender: tender.id, lot: bid.lot, bidder: bidderId });
      try {
        await api.post(`/api/tenders/${encodeURIComponent(tender.id)}/lots/${encodeURIComponent(bid.lot)}/data-key`, {
          data_key: b64uEncode(dataKey),
        });
      } finally {
        dataKey.fill(0);
      }
      showMessage(this.decryptMessage, t("opening.decrypted", { lot: name }), "ok");
    } catch (error) {
      showMessage(this.decryptMessage, describeError(error), "error");
    }
  }

  async confirm() {
    clearMessage(this.confirmMessage);
    try {
      await this.room.api.post(this.sessionPath("/bidder/confirm"), {});
      showMessage(this.confirmMessage, t("confirm.done"), "ok");
    } catch (error) {
      showMessage(this.confirmMessage, describeError(error), "error");
    }
  }

  async object() {
    clearMessage(this.confirmMessage);
    const text = byId("objection-text").value.trim();
    if (!text) {
      showMessage(this.confirmMessage, t("objection.empty"), "error");
      return;
    }
    const lot = byId("objection-lot").value || null;
    try {
      await this.room.api.post(this.sessionPath("/bidder/object"), { lot, text });
      byId("objection-text").value = "";
      showMessage(this.confirmMessage, t("objection.sent"), "ok");
    } catch (error) {
      showMessage(this.confirmMessage, describeError(error), "error");
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
  }

  renderSignIn(view, you) {
    const signedIn = Boolean(you.signed_in_at) || this.room.signedInHere.has(this.room.tender.id);
    const opensAt = view.signin_opens_at ? new Date(view.signin_opens_at).getTime() : 0;
    const open = this.room.clock.now() >= opensAt;
    const canSignIn = !signedIn && open && !["closed", "evaluation", "result_published", "stopped", "aborted"].includes(view.phase);
    setText(
      byId("signin-status"),
      signedIn
        ? t("opening.signed_in", { at: when(you.signed_in_at) === "—" ? t("opening.before_deadline") : when(you.signed_in_at) })
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
        if (bid.outcome) state = el("span", { class: `badge ${bid.outcome.status === "opened" ? "ok" : "danger"}`, text: `${tOr(`status.${bid.outcome.status}`, bid.outcome.status)}（${tOr(`cause.${bid.outcome.cause}`, bid.outcome.cause)}）` });
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
    replaceChildren(byId("readout-tables"), readoutTables(view));
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
              el("span", { text: objection.text }),
              el("span", {
                class: "answer",
                text: objection.answer ? `${t("screen.answer")}${objection.answer}` : t("screen.awaiting_answer"),
              }),
            ),
          )
        : el("li", { class: "muted", text: t("objection.none") }),
    );
  }
}
