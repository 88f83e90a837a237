// RFC 6962 / RFC 9162 Merkle trees in the browser: leaf and node hashes (WebCrypto SHA-256),
// inclusion and consistency proof checks. The twin of server/bidopen/tlog/merkle.py, with
// the same refusal texts (the verify page reports them word for word like `bidopen verify`).

import { LogError } from "./errors.js";

export const HASH_LEN = 32;

/** @param {Uint8Array} data */
async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

/** @param {...Uint8Array} parts */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** @param {Uint8Array} a @param {Uint8Array} b */
export function sameBytes(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export const EMPTY_ROOT = Uint8Array.from(
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".match(/../g) ?? [],
  (h) => parseInt(h, 16),
);

/** SHA-256(0x00 || entry) */
export function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0), entry));
}

/** SHA-256(0x01 || left || right) */
export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/** MTH of the leaf hashes (RFC 6962 section 2.1); a reference for tests and small trees. */
export async function treeRoot(leafHashes) {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  if (leafHashes.length === 1) return leafHashes[0];
  let k = 1;
  while (k * 2 < leafHashes.length) k *= 2;
  return nodeHash(await treeRoot(leafHashes.slice(0, k)), await treeRoot(leafHashes.slice(k)));
}

// Sizes and indexes are Numbers (safe up to 2**53); bit tricks would cut them to 32 bits.
const isOdd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

function isPowerOfTwo(n) {
  let m = n;
  while (m > 1 && !isOdd(m)) m = half(m);
  return m === 1;
}

/**
 * Throws LogError unless `proof` shows leaf hash `leaf` at `index` in the tree `root`.
 * @param {Uint8Array} leaf @param {number} index @param {number} size
 * @param {Uint8Array[]} proof @param {Uint8Array} root
 */
export async function verifyInclusion(leaf, index, size, proof, root) {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && 0 <= index && index < size)) {
    throw new LogError(`leaf index ${index} is outside a tree of size ${size}`);
  }
  if (leaf.length !== HASH_LEN || proof.some((p) => p.length !== HASH_LEN)) {
    throw new LogError("a hash of the inclusion proof is not 32 bytes");
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new LogError("the inclusion proof is longer than the tree is deep");
    if (isOdd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new LogError("the inclusion proof is shorter than the tree is deep");
  if (!sameBytes(r, root)) throw new LogError("the inclusion proof does not lead to the root hash");
}

/**
 * Throws LogError unless `proof` shows the tree `newRoot` extends the tree `oldRoot`.
 * @param {number} oldSize @param {number} newSize @param {Uint8Array[]} proof
 * @param {Uint8Array} oldRoot @param {Uint8Array} newRoot
 */
export async function verifyConsistency(oldSize, newSize, proof, oldRoot, newRoot) {
  if (oldSize > newSize) throw new LogError(`the old size ${oldSize} is larger than the new size ${newSize}`);
  if (oldSize === newSize) {
    if (proof.length) throw new LogError("trees of the same size need an empty consistency proof");
    if (oldSize === 0 && !sameBytes(oldRoot, EMPTY_ROOT)) throw new LogError("the root of an empty tree is the hash of nothing");
    if (!sameBytes(oldRoot, newRoot)) throw new LogError("two trees of the same size have different roots");
    return;
  }
  if (oldSize === 0) throw new LogError("a consistency proof from the empty tree proves nothing");
  if (!proof.length) throw new LogError("the consistency proof is empty");
  if (proof.some((p) => p.length !== HASH_LEN)) throw new LogError("a hash of the consistency proof is not 32 bytes");
  const path = [...proof];
  if (isPowerOfTwo(oldSize)) path.unshift(oldRoot);
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new LogError("the consistency proof is too long");
    if (isOdd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new LogError("the consistency proof is too short");
  if (!sameBytes(fr, oldRoot)) throw new LogError("the consistency proof does not lead to the old root");
  if (!sameBytes(sr, newRoot)) throw new LogError("the consistency proof does not lead to the new root");
}
