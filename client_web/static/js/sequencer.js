// Orders a session's events by their gap-free sequence numbers and says when to catch up.

/**
 * Events arrive from two places: live pushes on the socket and pages of the
 * log fetched over HTTP. Either may repeat or overtake the other. The
 * sequencer hands events to the page exactly once, in `seq` order, and
 * reports a gap (a pushed event whose predecessors we have not seen), which
 * the caller answers by fetching the log after `lastSeq`.
 */
export class EventSequencer {
  constructor(lastSeq = 0) {
    this.lastSeq = lastSeq;
    this.pending = new Map();
  }

  /**
   * Offer events in any order. Returns `{ ready, gap }`: `ready` are the
   * events that now follow `lastSeq` without a hole, in order; `gap` is true
   * when events beyond a hole are waiting.
   */
  offer(events) {
    for (const event of events) {
      const seq = Number(event?.seq);
      if (!Number.isInteger(seq) || seq <= this.lastSeq) continue;
      this.pending.set(seq, event);
    }
    const ready = [];
    while (this.pending.has(this.lastSeq + 1)) {
      this.lastSeq += 1;
      ready.push(this.pending.get(this.lastSeq));
      this.pending.delete(this.lastSeq);
    }
    return { ready, gap: this.pending.size > 0 };
  }

  /** Start over from a snapshot taken at `seq`: later events still pending are kept. */
  resetTo(seq) {
    this.lastSeq = seq;
    for (const key of [...this.pending.keys()]) if (key <= seq) this.pending.delete(key);
  }
}
