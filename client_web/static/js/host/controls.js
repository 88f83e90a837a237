// The host's controls, each a small form shown only in the phases where its command applies.

import { bidderName } from "../bidders.js";
import { byId, el, replaceChildren, show } from "../dom.js";
import { t } from "../i18n.js";
import { busy } from "../page.js";
import { lotName } from "../session-view.js";
import { beijingInstant } from "./tender-form.js";

const LIVE = ["scheduled", "quorum_decision", "opening", "decryption", "confirmation", "record_due"];
const STAGES = ["qualification", "technical", "commercial", "scoring", "report"];

let fieldCounter = 0;

function field(labelKey, input) {
  input.id = `c${(fieldCounter += 1)}`;
  return el("div", {}, el("label", { htmlFor: input.id, text: t(labelKey) }), input);
}

const reasonInput = () => el("textarea", { name: "reason", required: true, maxLength: 2000, rows: 2 });

/**
 * `send(command, body, {confirm})` posts a host command and reports the
 * outcome; each control reads its own fields and clears them on success.
 */
export class HostControls {
  constructor(send) {
    this.send = send;
    this.container = byId("controls");
    this.quorumKey = "";
    this.bidderKey = "";
    this.forms = this.build();
    replaceChildren(this.container, Object.values(this.forms));
  }

  control(name, { titleKey, fields = [], buttonKey, danger = false, shown, body = () => ({}), confirmKey = null }) {
    const form = el("form", { dataset: { command: name }, attrs: { novalidate: true } });
    const button = el("button", { type: "submit", class: danger ? "danger primary" : "primary", text: t(buttonKey) });
    form.append(el("h3", { text: t(titleKey) }), ...fields, el("div", { class: "actions" }, button));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(button, async () => {
        const ok = await this.send(name, body(form), { confirm: confirmKey ? t(confirmKey) : null, form });
        if (ok) form.reset();
      });
    });
    form.shown = shown;
    return form;
  }

  build() {
    const reason = (form) => form.querySelector('[name="reason"]').value.trim();
    return {
      reschedule: this.control("reschedule", {
        titleKey: "control.reschedule",
        fields: [field("control.new_deadline", el("input", { name: "deadline", type: "datetime-local", step: 1, required: true })), field("control.reason", reasonInput())],
        buttonKey: "control.reschedule_button",
        shown: (v) => v.phase === "scheduled",
        body: (form) => ({ deadline: beijingInstant(form.querySelector('[name="deadline"]').value), reason: reason(form) }),
      }),
      quorum: el("div", { class: "quorum-forms", dataset: { command: "decide_quorum" } }),
      start_decryption: this.control("start_decryption", {
        titleKey: "control.start_decryption",
        buttonKey: "control.start_decryption_button",
        shown: (v) => v.phase === "opening",
      }),
      extend_decryption: this.control("extend_decryption", {
        titleKey: "control.extend",
        fields: [field("control.minutes", el("input", { name: "minutes", dataset: { field: "seconds" }, type: "number", min: 1, max: 240, value: 10, required: true })), field("control.reason", reasonInput())],
        buttonKey: "control.extend_button",
        shown: (v) => v.phase === "decryption",
        body: (form) => ({ seconds: Number(form.querySelector('[name="minutes"]').value) * 60, reason: reason(form) }),
      }),
      pause: this.control("pause", {
        titleKey: "control.pause",
        fields: [field("control.reason", reasonInput())],
        buttonKey: "control.pause_button",
        danger: true,
        shown: (v) => ["decryption", "confirmation"].includes(v.phase) && !v.paused,
        body: (form) => ({ reason: reason(form) }),
      }),
      resume: this.control("resume", {
        titleKey: "control.resume",
        buttonKey: "control.resume_button",
        shown: (v) => v.paused,
      }),
      record_platform_fault: this.control("record_platform_fault", {
        titleKey: "control.fault",
        fields: [field("control.fault_bidder", el("select", { name: "bidder" })), field("control.reason", reasonInput())],
        buttonKey: "control.fault_button",
        shown: (v) => v.phase === "decryption",
        body: (form) => ({ bidder: form.querySelector('[name="bidder"]').value || null, reason: reason(form) }),
      }),
      close_decryption: this.control("close_decryption", {
        titleKey: "control.close_decryption",
        buttonKey: "control.close_decryption_button",
        confirmKey: "control.close_decryption_confirm",
        shown: (v) => v.phase === "decryption" && !v.paused,
      }),
      close_confirmation: this.control("close_confirmation", {
        titleKey: "control.close_confirmation",
        buttonKey: "control.close_confirmation_button",
        confirmKey: "control.close_confirmation_confirm",
        shown: (v) => v.phase === "confirmation" && !v.paused,
      }),
      publish_record: this.control("publish_record", {
        titleKey: "control.publish_record",
        buttonKey: "control.publish_record_button",
        shown: (v) => v.phase === "record_due",
      }),
      set_evaluation_stage: this.control("set_evaluation_stage", {
        titleKey: "control.stage",
        fields: [field("control.stage_label", el("select", { name: "stage" }, STAGES.map((stage) => el("option", { value: stage, text: t(`stage.${stage}`) }))))],
        buttonKey: "control.stage_button",
        shown: (v) => ["closed", "evaluation"].includes(v.phase),
        body: (form) => ({ stage: form.querySelector('[name="stage"]').value }),
      }),
      abort: this.control("abort", {
        titleKey: "control.abort",
        fields: [field("control.reason", reasonInput())],
        buttonKey: "control.abort_button",
        danger: true,
        confirmKey: "control.abort_confirm",
        shown: (v) => LIVE.includes(v.phase),
        body: (form) => ({ reason: reason(form) }),
      }),
    };
  }

  /** One form per lot that waits for the continue-or-stop choice; rebuilt only when that set changes. */
  renderQuorum(view) {
    const pending = view.phase === "quorum_decision" ? (view.pending_quorum ?? []) : [];
    const key = pending.join("\u0000");
    const box = this.forms.quorum;
    show(box, pending.length > 0);
    if (key === this.quorumKey) return;
    this.quorumKey = key;
    replaceChildren(
      box,
      pending.map((lot) => {
        const progress = (view.lot_progress ?? []).find((entry) => entry.lot === lot);
        const form = el("form", { dataset: { lot }, attrs: { novalidate: true } });
        const decide = (choice) => (event) => {
          event.preventDefault();
          const button = event.currentTarget;
          busy(button, () =>
            this.send("decide_quorum", { lot, choice, reason: form.querySelector('[name="reason"]').value.trim() }, {
              confirm: choice === "stop" ? t("control.quorum_stop_confirm", { lot: lotName(view, lot) }) : null,
              form,
            }),
          );
        };
        // 依法必须招标 (实施条例 art. 44): such a lot is stopped and tendered again, nothing
        // else; elsewhere continuing stays possible, with its reason, but is not the default.
        const byLaw = Boolean(view.parties?.tendered_by_law);
        form.append(
          el("h3", { text: t("control.quorum", { lot: lotName(view, lot), n: progress?.bids ?? 0 }) }),
          el("p", { class: "hint", text: t(byLaw ? "control.quorum_hint_by_law" : "control.quorum_hint") }),
          field("control.reason", reasonInput()),
          el(
            "div",
            { class: "actions" },
            byLaw
              ? null
              : el("button", { type: "button", dataset: { choice: "continue" }, text: t("control.quorum_continue"), on: { click: decide("continue") } }),
            el("button", { type: "button", class: "danger", dataset: { choice: "stop" }, text: t("control.quorum_stop"), on: { click: decide("stop") } }),
          ),
        );
        return form;
      }),
    );
  }

  renderFaultBidders(view) {
    const bidders = [...new Set((view.bids ?? []).map((bid) => bid.bidder))];
    const key = bidders.join("\u0000");
    if (key === this.bidderKey) return;
    this.bidderKey = key;
    const select = this.forms.record_platform_fault.querySelector('[name="bidder"]');
    const chosen = select.value;
    replaceChildren(
      select,
      el("option", { value: "", text: t("control.fault_everyone") }),
      bidders.map((bidder) => el("option", { value: bidder, text: bidderName(view, bidder) })),
    );
    select.value = bidders.includes(chosen) ? chosen : "";
  }

  render(view) {
    for (const [name, form] of Object.entries(this.forms)) {
      if (name === "quorum") continue;
      show(form, form.shown(view));
    }
    this.renderQuorum(view);
    this.renderFaultBidders(view);
    const anything = Object.values(this.forms).some((form) => !form.hidden);
    if (!anything) {
      // An empty panel would look broken; say why it is empty.
      this.container.dataset.empty = t("control.nothing");
    } else {
      delete this.container.dataset.empty;
    }
  }
}
