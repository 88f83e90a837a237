/** The error types of the sealed-bid format: one opaque error per kind of artefact. */

// Every way a sealed file can be bad raises this one error with this one
// message, so that an attacker probing a reader learns nothing about which
// check failed (format section 3).
const INVALID_SEALED_BID = "invalid sealed bid";

// A wrong passphrase and a damaged key file must look the same (section 1.2).
const KEY_FILE_UNREADABLE = "wrong passphrase or damaged key file";

const INVALID_SIGNED_DOCUMENT = "invalid signed document";

/** A sealed file (or rehearsal envelope) is malformed, tampered with, or not for this key. */
export class InvalidSealedBidError extends Error {
  constructor() {
    super(INVALID_SEALED_BID);
    this.name = "InvalidSealedBidError";
  }
}

/** A private key file cannot be read with this passphrase. */
export class KeyFileError extends Error {
  constructor() {
    super(KEY_FILE_UNREADABLE);
    this.name = "KeyFileError";
  }
}

/** A signed document (receipt, record, result) is malformed, of another type, or not signed by the trusted key. */
export class InvalidSignedDocumentError extends Error {
  constructor() {
    super(INVALID_SIGNED_DOCUMENT);
    this.name = "InvalidSignedDocumentError";
  }
}
