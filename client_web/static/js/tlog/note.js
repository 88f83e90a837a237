// C2SP signed notes in the browser: verifier keys, note signatures (Ed25519, WebCrypto),
// witness cosignatures (cosignature/v1), checkpoints and the log's witness policy. The twin
// of server/bidopen/tlog/{note,cosignature,checkpoint,policy}.py, with the same refusal texts.

import { LogError } from "./errors.js";
import { HASH_LEN, concat, sameBytes } from "./merkle.js";

export const ED25519_TYPE = 0x01;
export const COSIGNATURE_TYPE = 0x04;
const SIGNATURE_PREFIX = "\u2014 ";
const MAX_SIGNATURES = 64;
const encoder = new TextEncoder();

/** Strict standard base64 (RFC 4648 section 4); LogError otherwise. */
export function b64decode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new LogError("not base64");
  }
  let binary;
  try {
    binary = atob(text);
  } catch {
    throw new LogError("not base64");
  }
  const data = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (b64encode(data) !== text) throw new LogError("not canonical base64");
  return data;
}

export function b64encode(data) {
  let binary = "";
  for (const byte of data) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function checkKeyName(name) {
  if (!name || name.includes("+") || /\s/u.test(name)) {
    throw new LogError(`key name '${name}' is empty or holds a space or '+'`);
  }
  return name;
}

/** SHA-256(name || 0x0A || type || public key)[:4] */
export async function noteKeyId(name, type, publicKey) {
  checkKeyName(name);
  const digest = await crypto.subtle.digest("SHA-256", concat(encoder.encode(`${name}\n`), Uint8Array.of(type), publicKey));
  return new Uint8Array(digest).slice(0, 4);
}

const hexOf = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** {name, type, publicKey, keyId} of a verifier key `name+hexid+base64(type || key)`. */
export async function parseVkey(vkey) {
  const text = String(vkey).trim();
  const first = text.indexOf("+");
  const second = first < 0 ? -1 : text.indexOf("+", first + 1);
  if (first < 0 || second < 0 || second - first - 1 !== 8) throw new LogError("a verifier key is name+keyid+base64");
  const name = text.slice(0, first);
  const hexId = text.slice(first + 1, second);
  const key = b64decode(text.slice(second + 1));
  if (key.length < 2) throw new LogError("the verifier key holds no public key");
  const keyId = await noteKeyId(name, key[0], key.slice(1));
  if (hexOf(keyId) !== hexId.toLowerCase()) throw new LogError("the verifier key's id does not match its key");
  return { name, type: key[0], publicKey: key.slice(1), keyId };
}

async function ed25519Verify(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

async function typedVerifier(vkey, type, what) {
  const parsed = await parseVkey(vkey);
  if (parsed.type !== type) {
    throw new LogError(`verifier key type 0x${parsed.type.toString(16).padStart(2, "0")} is not ${what}`);
  }
  if (parsed.publicKey.length !== 32) throw new LogError("an Ed25519 public key is 32 bytes");
  return parsed;
}

/** The log's key: its signature is Ed25519 over the note text. */
export async function ed25519Verifier(vkey) {
  const parsed = await typedVerifier(vkey, ED25519_TYPE, "Ed25519 (0x01)");
  return { ...parsed, verify: (text, signature) => ed25519Verify(parsed.publicKey, text, signature) };
}

/** `cosignature/v1`, `time <T>`, then the whole checkpoint body. */
export function cosignedMessage(text, timestamp) {
  return concat(encoder.encode(`cosignature/v1\ntime ${timestamp}\n`), text);
}

/** A witness's key (signature type 0x04): 8 bytes of time, then Ed25519 over the message. */
export async function cosignatureVerifier(vkey) {
  const parsed = await typedVerifier(vkey, COSIGNATURE_TYPE, "a cosignature key (0x04)");
  const verify = async (text, signature) => {
    if (signature.length !== 8 + 64) return false;
    const timestamp = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
    if (timestamp >= 2n ** 63n) return false;
    return ed25519Verify(parsed.publicKey, cosignedMessage(text, timestamp), signature.slice(8));
  };
  return { ...parsed, verify };
}

/** The note's text as a string: UTF-8, no control character but newline, ending in one. */
export function checkNoteText(bytes) {
  let decoded;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new LogError("the note is not UTF-8");
  }
  if (/[\u0000-\u0009\u000b-\u001f]/u.test(decoded)) throw new LogError("the note holds a control character");
  if (!decoded.endsWith("\n")) throw new LogError("the note text does not end with a newline");
  return decoded;
}

function lastBlankLine(bytes) {
  for (let i = bytes.length - 2; i >= 0; i -= 1) if (bytes[i] === 10 && bytes[i + 1] === 10) return i;
  return -1;
}

/** {text, signatures: [{name, keyId, signature}]} of a note, none verified yet. */
export function parseNote(note) {
  const bytes = typeof note === "string" ? encoder.encode(note) : note;
  const decoded = checkNoteText(bytes);
  const cut = lastBlankLine(bytes);
  if (cut < 0) throw new LogError("the note has no blank line before its signatures");
  const text = bytes.slice(0, cut + 1);
  const tail = new TextDecoder().decode(bytes.slice(cut + 2));
  const lines = tail.match(/[^\n]*\n/gu) ?? [];
  if (!lines.length) throw new LogError("the note has no signature");
  if (lines.length > MAX_SIGNATURES) throw new LogError("the note has too many signatures");
  const signatures = lines.map((line) => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new LogError("a signature line is malformed");
    const body = line.slice(SIGNATURE_PREFIX.length, -1);
    const space = body.indexOf(" ");
    const name = space < 0 ? body : body.slice(0, space);
    checkKeyName(name);
    const blob = b64decode(space < 0 ? "" : body.slice(space + 1));
    if (blob.length < 5) throw new LogError("a signature is too short");
    return { name, keyId: blob.slice(0, 4), signature: blob.slice(4) };
  });
  return { text, decoded, signatures };
}

/** The verifiers whose signatures are present and valid; a known key's bad signature refuses. */
export async function verifiedBy(note, verifiers) {
  const found = [];
  for (const verifier of verifiers) {
    for (const sig of note.signatures) {
      if (sig.name !== verifier.name || !sameBytes(sig.keyId, verifier.keyId)) continue;
      if (!(await verifier.verify(note.text, sig.signature))) {
        throw new LogError(`the signature of ${verifier.name} does not verify`);
      }
      found.push(verifier);
      break;
    }
  }
  return found;
}

/** {origin, size, root} of a checkpoint body; extension lines are refused (this log has none). */
export function parseCheckpoint(textBytes) {
  const lines = checkNoteText(textBytes).split("\n").slice(0, -1);
  if (lines.length !== 3 || !lines.every(Boolean)) throw new LogError("a checkpoint body is exactly origin, size and root");
  if (!/^(0|[1-9][0-9]{0,19})$/u.test(lines[1])) throw new LogError("the checkpoint size is not a decimal number");
  const size = Number(lines[1]);
  const root = b64decode(lines[2]);
  if (!Number.isSafeInteger(size) || root.length !== HASH_LEN) throw new LogError("a checkpoint has a size and a 32-byte root");
  return { origin: lines[0], size, root };
}

/**
 * The log's key, the witnesses' keys and how many must cosign; `open` gives a checkpoint's
 * {checkpoint, cosigned} or throws LogError (server/bidopen/tlog/policy.py).
 */
export function logPolicy(log, witnesses = [], quorum = 0) {
  if (!(Number.isInteger(quorum) && quorum >= 0 && quorum <= witnesses.length)) {
    throw new LogError(`a quorum of ${quorum} out of ${witnesses.length} witnesses`);
  }
  return {
    log,
    witnesses,
    quorum,
    async open(noteBytes) {
      const note = parseNote(noteBytes);
      if (!(await verifiedBy(note, [log])).length) throw new LogError(`the checkpoint is not signed by the log key ${log.name}`);
      const checkpoint = parseCheckpoint(note.text);
      if (checkpoint.origin !== log.name) throw new LogError(`the checkpoint's origin is not ${log.name}`);
      const cosigned = (await verifiedBy(note, witnesses)).length;
      if (cosigned < quorum) throw new LogError(`${cosigned} witnesses cosigned the checkpoint, ${quorum} needed`);
      return { checkpoint, cosigned };
    },
  };
}
