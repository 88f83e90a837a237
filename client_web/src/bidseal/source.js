/** Random-access reading of a document or sealed file given as a Uint8Array or a Blob/File. */

/**
 * @typedef {object} ByteSource
 * @property {number} size
 * @property {boolean} isBlob whether results should be assembled as a Blob
 * @property {(offset: number, length: number) => Promise<Uint8Array>} read
 */

/**
 * @param {unknown} input
 * @returns {input is Blob}
 */
function isBlob(input) {
  return typeof Blob !== "undefined" && input instanceof Blob;
}

/**
 * @param {Uint8Array | ArrayBuffer | Blob} input
 * @returns {ByteSource}
 * @throws {TypeError} for any other input
 */
export function byteSource(input) {
  if (input instanceof ArrayBuffer) {
    return byteSource(new Uint8Array(input));
  }
  if (input instanceof Uint8Array) {
    return Object.freeze({
      size: input.length,
      isBlob: false,
      read: async (offset, length) => readExact(input.subarray(offset, offset + length), length),
    });
  }
  if (isBlob(input)) {
    return Object.freeze({
      size: input.size,
      isBlob: true,
      // One slice at a time: a 200 MB File is never read whole into memory.
      read: async (offset, length) =>
        readExact(new Uint8Array(await input.slice(offset, offset + length).arrayBuffer()), length),
    });
  }
  throw new TypeError("expected a Uint8Array, an ArrayBuffer or a Blob");
}

/**
 * @param {Uint8Array} bytes
 * @param {number} length
 * @returns {Uint8Array}
 */
function readExact(bytes, length) {
  if (bytes.length !== length) {
    // A File that shrank on disk while it was being read.
    throw new Error("the input changed size while it was being read");
  }
  return bytes;
}

// Browsers move large Blobs to disk; folding the pending parts into one Blob
// every few MiB keeps what sits in JavaScript memory small.
const FOLD_THRESHOLD = 8 * 1024 * 1024;

/** Collects output pieces either as a list of arrays or as a Blob built as it goes. */
export class OutputCollector {
  /** @param {boolean} asBlob */
  constructor(asBlob) {
    this.asBlob = asBlob;
    /** @type {Uint8Array[]} */
    this.parts = [];
    /** @type {Blob | null} */
    this.blob = asBlob ? new Blob([]) : null;
    this.pendingBytes = 0;
  }

  /** @param {Uint8Array} piece */
  push(piece) {
    this.parts.push(piece);
    this.pendingBytes += piece.length;
    if (this.asBlob && this.pendingBytes >= FOLD_THRESHOLD) {
      this.fold();
    }
  }

  fold() {
    this.blob = new Blob([/** @type {Blob} */ (this.blob), ...this.parts]);
    this.parts = [];
    this.pendingBytes = 0;
  }

  /** @returns {Blob | Uint8Array[]} */
  finish() {
    if (this.asBlob) {
      this.fold();
      return /** @type {Blob} */ (this.blob);
    }
    return this.parts;
  }
}
