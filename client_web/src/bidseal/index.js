/** The sealed-bid format (bidseal v1) for browsers and Node 20: keys, seal, open, signed documents. */

export { b64uDecode, b64uEncode, hex } from "./bytes.js";
export { InvalidSealedBidError, InvalidSignedDocumentError, KeyFileError } from "./errors.js";
export { DEFAULT_ITERATIONS, exportPrivateKeyFile, importPrivateKeyFile } from "./keyfile.js";
export { bidderKeyId, generateKeys, keyId, publicBundle, readPublicBundle } from "./keys.js";
export { DEFAULT_CHUNK_SIZE } from "./layout.js";
export { openSealed, openWithKeys, unwrapDataKey } from "./opening.js";
export { openRehearsalEnvelope } from "./rehearsal.js";
export { seal, sealStream } from "./seal.js";
export { SealedBid, parseSealed } from "./sealedbid.js";
export { SIGNED_TYPES, signChallenge, verifySignedDocument } from "./signed.js";
export {
  confirmationMessage,
  objectionMessage,
  readoutSha256,
  resultObjectionMessage,
  signStatement,
  verifyStatement,
} from "./statements.js";
