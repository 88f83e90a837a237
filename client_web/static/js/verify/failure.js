// The first check of a bundle that failed, with its reason in the words of `bidopen verify`.

export class VerificationFailed extends Error {
  /**
   * @param {string} reason the text `bidopen verify` prints after "FAILED: "
   * @param {string} [detail] what the browser found, when its check is narrower than Python's
   */
  constructor(reason, detail = "") {
    super(reason);
    this.name = "VerificationFailed";
    this.reason = reason;
    this.detail = detail;
  }
}
