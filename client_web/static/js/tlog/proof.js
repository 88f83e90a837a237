// C2SP tlog-proof (`c2sp.org/tlog-proof@v1`) in the browser: an entry's index, its inclusion
// hashes and the cosigned checkpoint, checked offline. Where the proof came from (the hub's
// proof of a receipt, a bundle, hashes read from the tiles) does not matter: checkProof takes
// the parsed object. The twin of server/bidopen/tlog/proof.py.

import { LogError } from "./errors.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import { b64decode } from "./note.js";

export const HEADER = "c2sp.org/tlog-proof@v1";

/** {index, hashes, checkpointNote, extra} of a tlog-proof text. */
export function parseProof(text) {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  let cut = -1;
  for (let i = 0; i + 1 < bytes.length; i += 1) {
    if (bytes[i] === 10 && bytes[i + 1] === 10) {
      cut = i;
      break;
    }
  }
  if (cut < 0) throw new LogError("no blank line before the checkpoint");
  const head = bytes.slice(0, cut);
  if (head.some((b) => b > 127)) throw new LogError("the lines before the checkpoint are not ASCII");
  const lines = new TextDecoder().decode(head).split("\n");
  if (lines[0] !== HEADER) throw new LogError(`the proof does not start with ${HEADER}`);
  let at = 1;
  let extra = null;
  if (lines.length > at && lines[at].startsWith("extra ")) {
    extra = b64decode(lines[at].slice("extra ".length));
    at += 1;
  }
  const match = lines.length > at ? /^index (0|[1-9][0-9]{0,19})$/u.exec(lines[at]) : null;
  if (match === null) throw new LogError("the proof has no index line");
  const hashes = lines.slice(at + 1).map(b64decode);
  return { index: Number(match[1]), hashes, checkpointNote: bytes.slice(cut + 2), extra };
}

/** The checkpoint, once `entry` is proven at the proof's index under one the policy accepts. */
export async function checkProof(proof, entry, policy) {
  const { checkpoint, cosigned } = await policy.open(proof.checkpointNote);
  await verifyInclusion(await leafHash(entry), proof.index, checkpoint.size, proof.hashes, checkpoint.root);
  return { checkpoint, cosigned };
}
