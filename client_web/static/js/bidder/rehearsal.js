// The rehearsal: unwrap a test envelope with the real key days before the opening.

import { b64uEncode, openRehearsalEnvelope } from "/static/vendor/bidseal.bundle.js";
import { byId } from "../dom.js";
import { t } from "../i18n.js";
import { busy, clearMessage, showMessage, showRefusal, when } from "../page.js";

/**
 * The server wraps a random key to the bidder's registered encryption key;
 * this browser unwraps it with the key file and sends it back. A forgotten
 * passphrase, a wrong or damaged key file, or a key that is not the
 * registered one each fail here, long before the opening.
 */
export class RehearsalCard {
  constructor(room) {
    this.room = room;
    this.message = byId("rehearsal-message");
    byId("rehearsal-button").addEventListener("click", (event) => busy(event.currentTarget, () => this.run()));
  }

  async run() {
    clearMessage(this.message);
    const { api, bidderId } = this.room;
    try {
      const keys = await this.room.requireKeys();
      const { rehearsal_id: rehearsalId, envelope } = await api.post("/api/bidders/me/rehearsal", {});
      let key;
      try {
        key = await openRehearsalEnvelope(envelope, keys, { challengeId: rehearsalId, bidder: bidderId });
      } catch (error) {
        if (error?.name === "InvalidSealedBidError") throw new Error(t("rehearsal.wrong_key"));
        throw error;
      }
      try {
        await api.post(`/api/bidders/me/rehearsal/${encodeURIComponent(rehearsalId)}`, { key: b64uEncode(key) });
      } finally {
        key.fill(0);
      }
      showMessage(this.message, t("rehearsal.passed", { at: when(this.room.clock.now()) }), "ok");
    } catch (error) {
      showRefusal(this.message, error);
    }
  }
}
