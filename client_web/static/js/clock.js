// The server's clock as seen from the browser: countdowns follow it, never the PC's own clock.

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

/** Read the server instant from a time response: the JSON body when it has one, else `Date`. */
function serverTimeOf(body, response) {
  for (const name of ["now", "server_time", "time"]) {
    const value = body?.[name];
    if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return Date.parse(value);
    if (typeof value === "number") return value;
  }
  // The Date header only has whole seconds; good to ±0.5 s, which a countdown tolerates.
  const header = response.headers.get("Date");
  if (header && !Number.isNaN(Date.parse(header))) return Date.parse(header) + 500;
  throw new Error("the server did not say what time it is");
}

export class ServerClock {
  constructor({ path = "/api/server-key", samples = 4 } = {}) {
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

  async sync() {
    const samples = [];
    for (let i = 0; i < this.sampleCount; i += 1) {
      const sentAt = Date.now();
      const response = await fetch(this.path, { cache: "no-store", headers: { Accept: "application/json" } });
      const receivedAt = Date.now();
      let body = null;
      try {
        body = await response.json();
      } catch {
        // A time endpoint without JSON still has a Date header.
      }
      samples.push({ sentAt, receivedAt, serverTime: serverTimeOf(body, response) });
    }
    const { offset, uncertainty } = offsetFromSamples(samples);
    this.offset = offset;
    this.uncertainty = uncertainty;
    this.synced = true;
    return this;
  }

  /** Keep re-syncing (PC clocks drift and get adjusted); failures keep the last offset. */
  keepSynced(intervalMs = 300_000) {
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
