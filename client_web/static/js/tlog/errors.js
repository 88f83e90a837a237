// The one error of the browser's log checks: a proof, note or key that does not hold; the
// message says exactly what, in the words of server/bidopen/tlog (LogError).

export class LogError extends Error {
  constructor(message) {
    super(message);
    this.name = "LogError";
  }
}
