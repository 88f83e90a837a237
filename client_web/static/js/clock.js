// The server's clock as seen from the browser: countdowns follow it, never the PC's own clock.

/** Samples per synchronisation: enough that one of them usually meets no queue on the way. */
const SAMPLES = 5;
/** PC clocks drift (and get adjusted) by seconds a day; a few minutes keeps the error tiny. */
const RESYNC_MS = 300_000;

/**
 * Offset estimation in the manner of NTP: for each sample, the server's
 * instant is assumed to sit in the middle of the round trip; the sample with
 * the shortest round trip wins because its error bound (half the round trip)
 * is smallest.
 */
export function offsetFromSamples(samples) {
  if (samples.length === 0) throw new Error("no clock samples");
  let best = samples[0];
  for (const sample of samples) {
    if (sample.receivedAt - sample.sentAt < best.receivedAt - best.sentAt) best = sample;
  }
  const roundTrip = best.receivedAt - best.sentAt;
  return { offset: best.serverTime - (best.sentAt + roundTrip / 2), uncertainty: roundTrip / 2 };
}

/**
 * Milliseconds since the epoch of the hub's `{"now": …}` (docs/protocol.md):
 * `Date.parse` stops at milliseconds, so the microseconds are added back.
 */
export function instantMs(text) {
  const match = typeof text === "string" ? /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text) : null;
  const whole = match ? Date.parse(`${match[1]}${match[3]}`) : NaN;
  if (Number.isNaN(whole)) throw new Error(`the server's time ${JSON.stringify(text)} is not an instant`);
  return whole + Number(`0.${match[2] ?? "0"}`) * 1000;
}

export class ServerClock {
  constructor({ path = "/api/time", samples = SAMPLES } = {}) {
    this.path = path;
    this.sampleCount = samples;
    this.offset = 0;
    this.uncertainty = Infinity;
    this.synced = false;
  }

  /** Milliseconds since the epoch on the server's clock. */
  now() {
    return Date.now() + this.offset;
  }

  /** Milliseconds until `instant` (ISO text, Date or ms) on the server's clock. */
  until(instant) {
    const target = typeof instant === "number" ? instant : new Date(instant).getTime();
    return target - this.now();
  }

  /** Ask the hub a few times in a row; a failure leaves the last offset as it was. */
  async sync() {
    const samples = [];
    for (let i = 0; i < this.sampleCount; i += 1) {
      const sentAt = Date.now();
      const response = await fetch(this.path, { cache: "no-store", headers: { Accept: "application/json" } });
      const receivedAt = Date.now();
      if (!response.ok) throw new Error(`${this.path} answered ${response.status}`);
      const body = await response.json();
      samples.push({ sentAt, receivedAt, serverTime: instantMs(body?.now) });
    }
    const { offset, uncertainty } = offsetFromSamples(samples);
    this.offset = offset;
    this.uncertainty = uncertainty;
    this.synced = true;
    return this;
  }

  /** Sync now (a failure keeps the PC's clock until the next try) and again every few minutes. */
  async start(intervalMs = RESYNC_MS) {
    await this.sync().catch((error) => console.warn("server clock:", error.message));
    const timer = setInterval(() => this.sync().catch(() => {}), intervalMs);
    return () => clearInterval(timer);
  }
}

/** Call `render()` once per second of the server clock, aligned to the second boundary. */
export function everySecond(clock, render) {
  let timer = null;
  let stopped = false;
  const step = () => {
    if (stopped) return;
    render();
    timer = setTimeout(step, 1000 - (clock.now() % 1000) + 5);
  };
  step();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
