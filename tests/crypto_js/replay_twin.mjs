// The /verify page's replay (client_web/static/js/verify/) over a batch of logs, for
// tests/crypto_js/test_replay_twin.py: reads {"cases": [{"events", "leaves"}]} on stdin and
// prints, for each case, what the browser makes of it: the refusal (`bidopen verify`'s
// words) or the final phase, the decoded events and the records rebuilt (canonical JSON),
// and the declarations of the events it decodes.

import { canonicalJson } from "../../client_web/static/js/verify/digest.js";
import { decodeEvent, describeDeclarations } from "../../client_web/static/js/verify/event-codec.js";
import { VerificationFailed } from "../../client_web/static/js/verify/failure.js";
import { buildRecord } from "../../client_web/static/js/verify/record-build.js";
import { replayEvents } from "../../client_web/static/js/verify/replay.js";

/** The record of `state` as canonical JSON, or the error building it raised. */
async function recordOf(state, leaves) {
  if (state === null || state.phase === "unscheduled") return null;
  try {
    return canonicalJson(await buildRecord(state, leaves));
  } catch (error) {
    return `error: ${error.message}`;
  }
}

async function answer({ events, leaves }) {
  let replayed;
  try {
    replayed = await replayEvents(events);
  } catch (error) {
    if (error instanceof VerificationFailed) return { refusal: error.reason };
    throw error;
  }
  const { state, recordState } = replayed;
  return {
    refusal: null,
    phase: state.phase,
    seq: state.seq,
    events: events.map((body) => canonicalJson(decodeEvent(body.kind, body.payload))),
    record: await recordOf(state, leaves),
    published: await recordOf(recordState, { events: leaves.events.slice(0, events.findIndex((e) => e.kind === "record_published")), bids: leaves.bids }),
  };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { cases } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const answers = [];
for (const c of cases) answers.push(await answer(c));
process.stdout.write(JSON.stringify({ declarations: describeDeclarations(), answers }));
