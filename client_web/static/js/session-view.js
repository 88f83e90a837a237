// The public view of an opening session, kept current by folding the events the hub pushes (pure).

/**
 * The server sends a snapshot (`public_view` in server/bidopen/session/views.py)
 * when a page joins, then one small event per change. This module is the
 * browser's twin of that view: `applyEvent(view, message)` returns the view
 * the server would now send, so thousands of big screens never have to fetch
 * the snapshot again. Messages are `{seq, kind, data}` as the public role
 * receives them (names and texts redacted before the read-out).
 *
 * Unknown kinds change nothing but `seq`, so an older page keeps working
 * beside a newer hub (and the next reconnect brings a fresh snapshot).
 */

/**
 * Kinds whose public form lacks something the public view shows (the
 * deadline event omits who signed in, so the count; the read-out may come
 * with names only in the snapshot): after them the page reads the view once.
 */
export const REFRESH_ON = Object.freeze(["deadline_passed", "read_out"]);

export function emptyView() {
  return {
    seq: 0,
    phase: "unscheduled",
    tender_id: "",
    code: "",
    title: "",
    lots: [],
    readout_items: [],
    deadline: null,
    signin_opens_at: null,
    reschedulings: [],
    paused: false,
    pause_reason: null,
    paused_since: null,
    ends_at: null,
    extensions: [],
    aborted: null,
  };
}

/** Lots that still wait for the host's continue-or-stop choice (server: `pending_quorum`). */
export function pendingQuorum(view) {
  return (view.lot_progress ?? [])
    .filter((lot) => !lot.quorum && (lot.quorum_warning || lot.bids === 0))
    .map((lot) => lot.lot);
}

export function stoppedLots(view) {
  return new Set(
    (view.lot_progress ?? []).filter((lot) => lot.quorum?.choice === "stop").map((lot) => lot.lot),
  );
}

function phaseAfterQuorum(view) {
  if (pendingQuorum(view).length > 0) return "quorum_decision";
  if (view.lots.length > 0 && stoppedLots(view).size === view.lots.length) return "stopped";
  return "opening";
}

/** Totals over the lots that were not stopped: what the big screen's counters show. */
export function progress(view) {
  const stopped = stoppedLots(view);
  const live = (view.lot_progress ?? []).filter((lot) => !stopped.has(lot.lot));
  return {
    signedIn: view.signed_in_count ?? null,
    bids: view.lot_progress ? live.reduce((n, lot) => n + lot.bids, 0) : null,
    decrypted: view.lot_progress ? live.reduce((n, lot) => n + lot.decrypted, 0) : null,
  };
}

/**
 * What the page counts down to: `kind` names it, `at` is the instant, and
 * while the host has paused the window `frozenMs` is the time it keeps.
 */
export function countdownTarget(view) {
  const windowed = (kind) => {
    if (!view.paused) return { kind, at: view.ends_at, frozenMs: null };
    const frozenMs = view.ends_at && view.paused_since ? Date.parse(view.ends_at) - Date.parse(view.paused_since) : null;
    return { kind, at: null, frozenMs };
  };
  switch (view.phase) {
    case "scheduled":
      return { kind: "deadline", at: view.deadline, frozenMs: null };
    case "decryption":
      return windowed("decryption");
    case "confirmation":
      return windowed("confirmation");
    case "evaluation":
    case "result_published": {
      // Once a lot's result is out, its publicity period (the latest of them) is what runs.
      const publicity = (view.results ?? []).map((result) => result.publicity_ends_at).filter(Boolean).sort().at(-1);
      return { kind: publicity ? "publicity" : null, at: publicity ?? null, frozenMs: null };
    }
    default:
      return { kind: null, at: null, frozenMs: null };
  }
}

export function lotName(view, lotId) {
  return view.lots.find((lot) => lot.id === lotId)?.name ?? lotId;
}

function withLot(view, lotId, change) {
  return {
    ...view,
    lot_progress: (view.lot_progress ?? []).map((lot) =>
      lot.lot === lotId ? { ...lot, ...change(lot) } : lot,
    ),
  };
}

const add = (view, field, n = 1) => ({ ...view, [field]: (view[field] ?? 0) + n });

/**
 * Change the opening hall's rows (`hall` in the view) that an event names: `bids` lists
 * `{lot, number}`, else `lot` with `number`; an event naming none (a platform fault for
 * everyone) changes every row when `everyRow`.
 */
function withRows(view, d, change, { everyRow = false } = {}) {
  if (!view.hall) return view;
  const named = Array.isArray(d.bids) ? d.bids : Number.isInteger(d.number) ? [{ lot: d.lot, number: d.number }] : null;
  if (!named && !everyRow) return view;
  const hit = (row) => !named || named.some((bid) => bid.lot === row.lot && bid.number === row.number);
  return { ...view, hall: view.hall.map((row) => (hit(row) ? { ...row, ...change(row) } : row)) };
}

/** The rows after the read-out: each lot's lines are its bids in receipt order, so row n is line n. */
function rowsReadOut(view, lots) {
  if (!view.hall) return view.hall;
  return view.hall.map((row) => {
    const line = lots.find((lot) => lot.lot === row.lot)?.lines?.[row.number - 1];
    if (!line) return row;
    const outcome = { status: line.status, cause: line.cause ?? (line.status === "opened" ? "decrypted" : null), item: line.item ?? "" };
    return { ...row, outcome, bidder: line.bidder, bidder_name: line.bidder_name ?? "" };
  });
}

/** Lots still waiting for their evaluation result: not stopped, with a bid, none published (a lot
 * whose bids all stayed sealed awaits one too: 流标). */
export function lotsAwaitingResult(view) {
  const stopped = stoppedLots(view);
  const done = new Set((view.results ?? []).map((result) => result.lot));
  return view.lots
    .map((lot) => lot.id)
    .filter((lot) => {
      if (stopped.has(lot) || done.has(lot)) return false;
      const readout = (view.readout ?? []).find((entry) => entry.lot === lot);
      return (readout?.lines ?? []).length > 0;
    });
}

/** Fold one `{seq, kind, data}` message; returns a new view and leaves the old one as it was. */
export function applyEvent(view, message) {
  const next = apply(view, message.kind, message.data ?? {});
  return { ...next, seq: Number.isInteger(message.seq) ? message.seq : view.seq + 1 };
}

export function applyEvents(view, messages) {
  return messages.reduce(applyEvent, view);
}

function apply(view, kind, d) {
  switch (kind) {
    case "session_scheduled":
      return {
        ...view,
        phase: "scheduled",
        tender_id: d.tender_id,
        code: d.code,
        title: d.title,
        lots: d.lots ?? [],
        readout_items: d.readout_items ?? [],
        deadline: d.deadline,
        signin_opens_at: d.signin_opens_at,
      };
    case "session_rescheduled":
      return {
        ...view,
        deadline: d.deadline,
        reschedulings: [
          ...view.reschedulings,
          { previous_deadline: d.previous_deadline, deadline: d.deadline, reason: d.reason, at: d.at },
        ],
      };
    case "session_aborted":
      return { ...view, phase: "aborted", aborted: { phase: d.phase, reason: d.reason, at: d.at } };
    case "deadline_passed": {
      const counts = d.counts ?? {};
      const warnings = d.quorum_warnings ?? [];
      const after = {
        ...view,
        lot_progress: view.lots.map((lot) => ({
          lot: lot.id,
          bids: counts[lot.id] ?? 0,
          decrypted: 0,
          quorum_warning: warnings.includes(lot.id),
          quorum: null,
        })),
        // Sign-ins before the deadline were private; the deadline event makes them count.
        signed_in_count: Array.isArray(d.signed_in) ? d.signed_in.length : (d.signed_in_count ?? 0),
        platform_fault_count: 0,
        objection_count: 0,
        answered_count: 0,
        objections: [],
        confirmed_count: 0,
      };
      return { ...after, phase: phaseAfterQuorum(after) };
    }
    case "quorum_decided": {
      const decision = { lot: d.lot, choice: d.choice, reason: d.reason, automatic: d.automatic, at: d.at };
      const decided = withLot(view, d.lot, () => ({ quorum: decision }));
      const after = d.choice === "stop" ? withRows(decided, { lot: d.lot, bids: (view.hall ?? []).filter((row) => row.lot === d.lot) }, () => ({ lot_stopped: true })) : decided;
      return { ...after, phase: phaseAfterQuorum(after) };
    }
    case "decryption_started":
      return { ...view, phase: "decryption", ends_at: d.ends_at };
    case "bidder_signed_in":
      return withRows(add(view, "signed_in_count"), d, () => ({ signed_in: true }));
    case "bid_decrypted":
      return withRows(
        withLot(view, d.lot, (lot) => ({ decrypted: lot.decrypted + 1 })),
        d,
        () => ({ decrypted: true }),
      );
    case "decryption_failed":
      return withRows(view, d, (row) => ({ failed_attempts: d.attempt ?? row.failed_attempts + 1 }));
    case "decryption_extended":
      return {
        ...view,
        ends_at: d.ends_at,
        extensions: [...view.extensions, { seconds: d.seconds, reason: d.reason, ends_at: d.ends_at, at: d.at }],
      };
    case "platform_fault_recorded":
      return withRows(add(view, "platform_fault_count"), d, () => ({ platform_fault: true }), { everyRow: true });
    case "session_paused":
      return { ...view, paused: true, pause_reason: d.reason, paused_since: d.at };
    case "session_resumed":
      return { ...view, paused: false, pause_reason: null, paused_since: null, ends_at: d.ends_at };
    case "read_out":
      return {
        ...view,
        read_out_at: d.at,
        readout: d.lots ?? [],
        hall: rowsReadOut(view, d.lots ?? []),
        // The snapshot read after this event is the authority; meanwhile the lines name them.
        bidder_names: Object.fromEntries(
          (d.lots ?? []).flatMap((lot) => lot.lines).filter((line) => line.bidder_name).map((line) => [line.bidder, line.bidder_name]),
        ),
        deemed_accepted: [],
        record: null,
        evaluation_stage: null,
        results: [],
        result_objections: [],
      };
    case "confirmation_started":
      return { ...view, phase: "confirmation", ends_at: d.ends_at };
    case "bidder_confirmed":
      return add(view, "confirmed_count");
    case "objection_raised": {
      // The objector is named only from the read-out on (the hub leaves the fields out before).
      const objection = { id: d.objection_id, lot: d.lot ?? null, text: d.text, raised_at: d.at, answer: null, answered_at: null };
      if (d.bidder !== undefined) Object.assign(objection, { bidder: d.bidder, bidder_name: d.bidder_name ?? "" });
      return { ...add(view, "objection_count"), objections: [...(view.objections ?? []), objection] };
    }
    case "objection_answered":
      return {
        ...add(view, "answered_count"),
        objections: (view.objections ?? []).map((objection) =>
          objection.id === d.objection_id ? { ...objection, answer: d.text, answered_at: d.at } : objection,
        ),
      };
    case "confirmation_closed":
      return { ...view, phase: "record_due", ends_at: null, deemed_accepted: d.deemed_accepted ?? [] };
    case "record_published":
      return { ...view, phase: "closed", record: { sha256: d.sha256, signature: d.signature, at: d.at } };
    case "evaluation_stage_changed":
      return { ...view, phase: "evaluation", evaluation_stage: d.stage, evaluation_stage_since: d.at };
    case "result_published": {
      const order = view.lots.map((lot) => lot.id);
      const results = [...(view.results ?? []).filter((r) => r.lot !== d.lot), resultOf(d)];
      results.sort((a, b) => order.indexOf(a.lot) - order.indexOf(b.lot));
      const after = { ...view, results };
      return { ...after, phase: lotsAwaitingResult(after).length === 0 ? "result_published" : "evaluation" };
    }
    case "result_objection_raised": {
      const objection = {
        id: d.objection_id,
        lot: d.lot,
        bidder: d.bidder,
        bidder_name: d.bidder_name ?? "",
        text: d.text,
        raised_at: d.at,
        answer_due_at: d.answer_due_at,
        answer: null,
        answered_at: null,
        late: false,
      };
      return { ...view, result_objections: [...(view.result_objections ?? []), objection] };
    }
    case "result_objection_answered":
      return {
        ...view,
        result_objections: (view.result_objections ?? []).map((objection) =>
          objection.id === d.objection_id ? { ...objection, answer: d.text, answered_at: d.at, late: Boolean(d.late) } : objection,
        ),
      };
    default:
      return view;
  }
}

// The server's `encode(LotResult)`: the signed document's fields sit under `document`.
function resultOf(d) {
  return {
    lot: d.lot,
    outcome: d.outcome,
    candidates: d.candidates ?? [],
    reasons: d.reasons ?? {},
    failure: d.failure ?? "",
    publicity_days: d.publicity_days,
    publicity_ends_at: d.publicity_ends_at,
    document: { sha256: d.sha256, signature: d.signature, at: d.at },
  };
}
