// The bidder's keys and sign-in: generate or import keys, register them, log in by signing a challenge.

import {
  KeyFileError,
  exportPrivateKeyFile,
  generateKeys,
  importPrivateKeyFile,
  publicBundle,
  signChallenge,
} from "/static/vendor/bidseal.bundle.js";
import { ApiError } from "../api.js";
import { t } from "../i18n.js";
import { FieldRefusal } from "../page.js";
import { saveKeyFile } from "../vault.js";

/**
 * A problem the bidder can fix (wrong passphrase, wrong file, mismatched key), in their
 * language; `field` names the control to fix (`passphrase`, `key_file`, `bidder_id`), if one.
 */
export class AccountError extends FieldRefusal {
  constructor(key, vars = {}, field = null) {
    super(field, t(key, vars));
    this.name = "AccountError";
    this.key = key;
  }
}

const MIN_PASSPHRASE = 8;

export function checkNewPassphrase(passphrase, repeated) {
  if (passphrase.length < MIN_PASSPHRASE) throw new AccountError("account.passphrase_short", { n: MIN_PASSPHRASE }, "passphrase");
  if (passphrase !== repeated) throw new AccountError("account.passphrase_mismatch", {}, "passphrase_repeat");
}

/** Read a key file's text (from a File or a stored string); any unreadable content is one error. */
export async function keyFileText(source) {
  if (typeof source === "string") return source;
  if (!source) throw new AccountError("account.choose_key_file", {}, "key_file");
  if (source.size > 64 * 1024) throw new AccountError("account.key_file_unreadable", {}, "key_file");
  // Not source.text(): it drops a byte-order mark and replaces bad UTF-8, so the
  // browser would open files the command line refuses (JSON profile, format 0.1).
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(await source.arrayBuffer());
  } catch {
    throw new AccountError("account.key_file_unreadable", {}, "key_file");
  }
}

/**
 * Decrypt a key file with its passphrase. A wrong passphrase, a damaged file
 * and a file that is not a key file at all get the same message (format 1.2).
 */
export async function unlockKeys(text, passphrase) {
  try {
    return await importPrivateKeyFile(text, passphrase);
  } catch (error) {
    // The passphrase is what a bidder most often gets wrong; the message names the file too.
    if (error instanceof KeyFileError || error instanceof TypeError) {
      throw new AccountError("account.key_file_unreadable", {}, "passphrase");
    }
    throw error;
  }
}

/**
 * Register a bidder. Keys are either made here (and encrypted under the new
 * passphrase) or come from an existing key file (e.g. `bidopen keygen`),
 * which is unlocked first so that a wrong file or passphrase registers nothing.
 * Returns `{bidderId, keys, keyFileText, generated}`; the key file is kept in
 * this browser under the new bidder id.
 */
export async function register(api, { orgName, contact, passphrase, existingKeyFile = null, iterations }) {
  let keys;
  let text;
  if (existingKeyFile) {
    text = await keyFileText(existingKeyFile);
    keys = await unlockKeys(text, passphrase);
  } else {
    keys = await generateKeys();
    const file = await exportPrivateKeyFile(keys, passphrase, iterations ? { iterations } : undefined);
    text = `${JSON.stringify(file, null, 2)}\n`;
  }
  let created;
  try {
    created = await api.post("/api/bidders", {
      org_name: orgName,
      contact,
      public_bundle: publicBundle(keys),
    });
  } catch (error) {
    if (error instanceof ApiError && error.code === "conflict") throw new AccountError("account.key_registered", {}, "key_file");
    throw error;
  }
  await saveKeyFile({ bidderId: created.bidder_id, orgName, keyFileText: text });
  return { bidderId: created.bidder_id, keys, keyFileText: text, generated: !existingKeyFile };
}

/**
 * Sign in: ask for a challenge, check that it is meant for this site (the
 * audience), sign it with the signing key, exchange it for a token.
 */
export async function logIn(api, bidderId, keys) {
  const path = `/api/bidders/${encodeURIComponent(bidderId)}`;
  let issued;
  try {
    issued = await api.post(`${path}/challenge`, {});
  } catch (error) {
    if (error instanceof ApiError && error.code === "bidder_not_found") throw new AccountError("account.unknown_bidder", {}, "bidder_id");
    throw error;
  }
  if (issued.audience !== location.origin) {
    throw new AccountError("account.wrong_audience", { audience: issued.audience, origin: location.origin });
  }
  const signature = await signChallenge(keys, issued.challenge, issued.audience);
  try {
    const { token } = await api.post(`${path}/login`, { challenge: issued.challenge, signature });
    return token;
  } catch (error) {
    if (error instanceof ApiError && error.code === "signature_invalid") throw new AccountError("account.key_not_this_bidder", {}, "key_file");
    throw error;
  }
}
