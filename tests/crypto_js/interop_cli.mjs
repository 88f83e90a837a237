// Command-line face of the JavaScript bidseal for the Python interop tests.
//
//   node interop_cli.mjs COMMAND '<JSON request>'
//
// prints one JSON object: the result, or {"error": <error class name>} with
// exit status 3 when the library refused the input with one of its errors.
// Files are read as Blobs (fs.openAsBlob), as a browser reads a File.

import { openAsBlob } from "node:fs";
import { mkdir, open, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import {
  InvalidSealedBidError,
  InvalidSignedDocumentError,
  KeyFileError,
  b64uDecode,
  b64uEncode,
  bidderKeyId,
  exportPrivateKeyFile,
  generateKeys,
  importPrivateKeyFile,
  openRehearsalEnvelope,
  openSealed,
  parseSealed,
  publicBundle,
  sealStream,
  signChallenge,
  unwrapDataKey,
  verifySignedDocument,
} from "../../client_web/src/bidseal/index.js";

const LIBRARY_ERRORS = [InvalidSealedBidError, InvalidSignedDocumentError, KeyFileError];

/**
 * @param {{key_dir: string, passphrase: string}} request
 */
async function loadKeys(request) {
  const text = await readFile(path.join(request.key_dir, "bidder-key.json"), "utf8");
  return importPrivateKeyFile(text, request.passphrase);
}

/**
 * @param {Blob | Uint8Array} document
 * @param {string} file
 */
async function writeDocument(document, file) {
  const bytes = document instanceof Blob ? new Uint8Array(await document.arrayBuffer()) : document;
  await writeFile(file, bytes);
}

const COMMANDS = {
  async keygen(request) {
    const keys = await generateKeys();
    const keyFile = await exportPrivateKeyFile(keys, request.passphrase, {
      iterations: request.iterations,
    });
    await mkdir(request.dir, { recursive: true });
    await writeFile(path.join(request.dir, "bidder-key.json"), `${JSON.stringify(keyFile, null, 1)}\n`, {
      flag: "wx",
      mode: 0o600,
    });
    await writeFile(path.join(request.dir, "bidder-public.json"), `${JSON.stringify(publicBundle(keys))}\n`, {
      flag: "wx",
    });
    return { ...publicBundle(keys), key_id: await bidderKeyId(keys) };
  },

  async seal(request) {
    const keys = await loadKeys(request);
    const stream = sealStream({
      document: await openAsBlob(request.document),
      keys,
      context: request.context,
      summary: request.summary,
      chunkSize: request.chunk_size,
    });
    const out = await open(request.out, "wx");
    try {
      for (;;) {
        const step = await stream.next();
        if (step.done) {
          return { bid_sha256: step.value.bidSha256, size: step.value.size };
        }
        await out.write(step.value);
      }
    } finally {
      await out.close();
    }
  },

  async inspect(request) {
    const sealed = await parseSealed(await openAsBlob(request.sealed));
    return {
      bid_sha256: sealed.bidSha256,
      context: sealed.context,
      chunk_size: sealed.header.chunkSize,
      chunk_count: sealed.chunkCount,
      document_size: sealed.documentSize,
      signer_key_id: sealed.signerKeyId,
    };
  },

  async unwrap(request) {
    const sealed = await parseSealed(await openAsBlob(request.sealed));
    const dataKey = await unwrapDataKey(sealed, await loadKeys(request), request.context);
    return { data_key: b64uEncode(dataKey) };
  },

  async open(request) {
    const sealed = await parseSealed(await openAsBlob(request.sealed));
    const dataKey =
      request.data_key === undefined
        ? await unwrapDataKey(sealed, await loadKeys(request), request.context)
        : b64uDecode(request.data_key);
    const opened = await openSealed(sealed, dataKey);
    await writeDocument(opened.document, request.out);
    return { bid_sha256: opened.bidSha256, summary: opened.summary, size: sealed.documentSize };
  },

  async "verify-signed"(request) {
    return { payload: await verifySignedDocument(request.envelope, request.type, request.trusted_key) };
  },

  async "sign-challenge"(request) {
    return { signature: await signChallenge(await loadKeys(request), request.challenge, request.audience) };
  },

  async rehearsal(request) {
    const key = await openRehearsalEnvelope(request.envelope, await loadKeys(request), {
      challengeId: request.challenge_id,
      bidder: request.bidder,
    });
    return { key: b64uEncode(key) };
  },
};

const [command, requestText] = process.argv.slice(2);
const run = COMMANDS[command];
if (run === undefined || requestText === undefined) {
  console.error(`usage: node interop_cli.mjs (${Object.keys(COMMANDS).join("|")}) '<JSON request>'`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await run(JSON.parse(requestText))));
} catch (error) {
  if (LIBRARY_ERRORS.some((kind) => error instanceof kind)) {
    console.log(JSON.stringify({ error: error.name, message: error.message }));
    process.exit(3);
  }
  throw error;
}
