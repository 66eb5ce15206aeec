// ModelRecord.integrity (WebLLM's ModelIntegrity): Subresource Integrity hashes
// ("sha256-<base64>", sha384, sha512; https://www.w3.org/TR/SRI/) of a model's
// mlc-chat-config.json and tokenizer files, checked by download.js before a
// file is used or cached. `model_lib` is accepted and has nothing to check:
// there is no model library (DESIGN.md decision 2). Weight shards are checked
// against the md5 of tensor-cache.json as before.

import { FeatureNotSupportedError, IntegrityError, InvalidRequestError } from "./errors.js";

/**
 * @typedef {object} ModelIntegrity
 * @property {string} [config] SRI hash of mlc-chat-config.json
 * @property {string} [model_lib] accepted for WebLLM's shape; nothing is checked (no model library)
 * @property {Object<string, string>} [tokenizer] SRI hash per tokenizer file name, e.g. {"tokenizer.json": "sha256-..."}
 * @property {"error"|"warn"} [onFailure] "error" (default) throws IntegrityError; "warn" logs and uses the file
 */

/** One SRI hash: algorithm and base64 digest (no options, one hash, as WebLLM reads it). */
const SRI_PATTERN = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/;
const DIGEST_NAMES = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" };

/**
 * Whether `sri` is one well-formed SRI hash.
 * @param {string} sri
 * @returns {boolean}
 */
export function isValidSRI(sri) {
  return typeof sri === "string" && SRI_PATTERN.test(sri);
}

/**
 * The SRI hash that ModelRecord.integrity gives a model folder's file, if any.
 * @param {ModelIntegrity|undefined|null} integrity
 * @param {string} file e.g. "mlc-chat-config.json", "tokenizer.json"
 * @returns {string|undefined}
 */
export function integrityOfFile(integrity, file) {
  if (!integrity) return undefined;
  return file === "mlc-chat-config.json" ? integrity.config : integrity.tokenizer?.[file];
}

/**
 * @param {Uint8Array} bytes
 * @returns {string}
 */
function base64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Checks bytes against an SRI hash (WebLLM's verifyIntegrity).
 * @param {ArrayBuffer|ArrayBufferView} data
 * @param {string} expectedSRI e.g. "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
 * @param {string} url named in the error
 * @param {"error"|"warn"} [onFailure]
 * @returns {Promise<void>}
 * @throws {IntegrityError} the bytes differ and onFailure is "error"
 * @throws {InvalidRequestError} expectedSRI is not an SRI hash
 * @throws {FeatureNotSupportedError} no crypto.subtle (an insecure context), unless onFailure is "warn"
 */
export async function verifyIntegrity(data, expectedSRI, url, onFailure = "error") {
  const match = typeof expectedSRI === "string" ? SRI_PATTERN.exec(expectedSRI) : null;
  if (!match) {
    throw new InvalidRequestError(`ModelRecord.integrity for ${url} is ${JSON.stringify(expectedSRI)}, ` +
      'not an SRI hash; use "sha256-<base64>", "sha384-<base64>" or "sha512-<base64>"', { param: "integrity" });
  }
  const [, algorithm, expected] = match;
  if (!globalThis.crypto?.subtle) {
    const why = `cannot check the integrity of ${url}: crypto.subtle needs a secure context (https or localhost)`;
    if (onFailure === "warn") {
      console.warn(why);
      return;
    }
    throw new FeatureNotSupportedError(why, { param: "integrity" });
  }
  const digest = await crypto.subtle.digest(DIGEST_NAMES[/** @type {"sha256"} */ (algorithm)], data);
  const actual = base64(new Uint8Array(digest));
  if (actual === expected) return;
  const error = new IntegrityError(url, expectedSRI, `${algorithm}-${actual}`);
  if (onFailure === "warn") {
    console.warn(error.message);
    return;
  }
  throw error;
}
