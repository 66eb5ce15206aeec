// Model files from the network or the browser cache. Weight shards go from
// here straight to the caller's onShard (a GPU upload), never through Python
// (DESIGN.md decision 7). Every shard is checked against the size and md5 of
// tensor-cache.json before it is cached or used, so the cache only ever holds
// verified shards: a failed download, a bad md5 or a full quota leaves no
// entry for that shard. Text files with an SRI hash in ModelRecord.integrity
// (integrity.js) are held to it the same way.

import { MODEL_SCOPE, CONFIG_SCOPE, MODEL_SCOPE_FILES, openModelStore } from "./cache.js";
import { cacheBackendOf } from "./config.js";
import { IntegrityError, ModelDownloadError, ShardChecksumError } from "./errors.js";
import { verifyIntegrity } from "./integrity.js";
import { md5Hex } from "./md5.js";
import { prebuiltAppConfig } from "./prebuilt_app_config.js";

/** @typedef {import("./config.js").AppConfig} AppConfig */

/**
 * One entry of tensor-cache.json's "records" (MLC's shard manifest).
 * @typedef {object} ShardRecord
 * @property {string} dataPath file name relative to the model folder, e.g. "params_shard_0.bin"
 * @property {number} nbytes
 * @property {string} [md5sum] lowercase hex
 */

/**
 * @typedef {object} ShardProgress
 * @property {number} loadedBytes bytes of all shards done so far (cached or downloaded)
 * @property {number} totalBytes  sum of nbytes of all shards
 * @property {boolean} fromCache  this shard came from the cache
 * @property {number} shardIndex
 */

/** Download progress is reported at least this many bytes apart (and at each shard's end). */
const PROGRESS_STEP_BYTES = 1 << 20;

/**
 * The cache scope a model file belongs to (see cache.js).
 * @param {string} file
 */
function scopeOf(file) {
  return MODEL_SCOPE_FILES.has(file) ? MODEL_SCOPE : CONFIG_SCOPE;
}

/**
 * fetch() whose failures are ModelDownloadErrors naming the URL and status.
 * An abort through `signal` rethrows the signal's reason (an AbortError).
 * @param {string} url
 * @param {AbortSignal} [signal]
 * @returns {Promise<Response>}
 */
async function fetchOk(url, signal) {
  let response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new ModelDownloadError(`could not download ${url}: ${/** @type {Error} */ (error).message}`,
      { url, status: 0, cause: error });
  }
  if (!response.ok) {
    throw new ModelDownloadError(`could not download ${url}: HTTP ${response.status} ${response.statusText}`.trim(),
      { url, status: response.status });
  }
  return response;
}

/**
 * A model folder's text file (mlc-chat-config.json, tokenizer.json,
 * tensor-cache.json): from the cache, else downloaded and then cached.
 * With an SRI hash, a cached copy that fails it is downloaded once more, and
 * a download that fails it is not cached.
 * @param {string} baseUrl the model folder (modelBaseUrl of its record)
 * @param {string} file
 * @param {AppConfig} [appConfig] chooses the cache backend
 * @param {{signal?: AbortSignal, integrity?: string, onFailure?: "error"|"warn"}} [options]
 *   integrity: the file's SRI hash (integrity.js integrityOfFile)
 * @returns {Promise<string>}
 * @throws {import("./errors.js").IntegrityError} the download fails its SRI hash
 */
export async function fetchModelText(baseUrl, file, appConfig = prebuiltAppConfig, options = {}) {
  const url = new URL(file, baseUrl).href;
  const store = openModelStore(cacheBackendOf(appConfig), scopeOf(file));
  const cached = await store.get(url);
  if (cached !== undefined) {
    if (!options.integrity || await passesIntegrity(cached, options.integrity, url, options.onFailure)) {
      return new TextDecoder().decode(cached);
    }
    await store.delete(url); // stale or corrupted in storage: fetch it once more
  }
  const response = await fetchOk(url, options.signal);
  let bytes;
  try {
    bytes = await response.arrayBuffer();
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new ModelDownloadError(`download of ${url} broke off: ${/** @type {Error} */ (error).message}`,
      { url, status: response.status, cause: error });
  }
  if (options.integrity) await verifyIntegrity(bytes, options.integrity, url, options.onFailure ?? "error");
  await store.put(url, bytes);
  return new TextDecoder().decode(bytes);
}

/**
 * Whether a cached copy may be used ("warn" uses it whatever its hash, as a download).
 * @param {ArrayBuffer} bytes
 * @param {string} sri
 * @param {string} url
 * @param {"error"|"warn"} [onFailure]
 */
async function passesIntegrity(bytes, sri, url, onFailure = "error") {
  try {
    await verifyIntegrity(bytes, sri, url, onFailure);
    return true;
  } catch (error) {
    if (error instanceof IntegrityError) return false;
    throw error;
  }
}

/**
 * The model's shard manifest: tensor-cache.json, or the older name
 * ndarray-cache.json when only that one exists (DESIGN.md decision 2).
 * @param {string} baseUrl
 * @param {AppConfig} [appConfig]
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<{file: string, manifest: {records: ShardRecord[], metadata?: object}}>}
 */
export async function fetchTensorCache(baseUrl, appConfig = prebuiltAppConfig, options = {}) {
  const [current, older] = ["tensor-cache.json", "ndarray-cache.json"];
  const store = openModelStore(cacheBackendOf(appConfig), MODEL_SCOPE);
  const file = !(await store.has(new URL(current, baseUrl).href)) && await store.has(new URL(older, baseUrl).href)
    ? older : current;
  try {
    return { file, manifest: JSON.parse(await fetchModelText(baseUrl, file, appConfig, options)) };
  } catch (error) {
    if (file === current && error instanceof ModelDownloadError && error.status === 404) {
      return { file: older, manifest: JSON.parse(await fetchModelText(baseUrl, older, appConfig, options)) };
    }
    throw error;
  }
}

/**
 * @param {ShardRecord} shard
 * @param {string} url
 * @param {number} size
 */
function sizeMismatch(shard, url, size) {
  return new ShardChecksumError(`shard ${shard.dataPath} (${url}) has ${size} bytes; ` +
    `tensor-cache.json says ${shard.nbytes}`,
    { url, shard: shard.dataPath, expected: String(shard.nbytes), actual: String(size) });
}

/**
 * Size and md5 of a shard against its record.
 * @param {ShardRecord} shard
 * @param {string} url
 * @param {Uint8Array} bytes
 * @throws {ShardChecksumError}
 */
function verifyShard(shard, url, bytes) {
  if (bytes.byteLength !== shard.nbytes) throw sizeMismatch(shard, url, bytes.byteLength);
  if (!shard.md5sum) return;
  const actual = md5Hex(bytes);
  if (actual !== shard.md5sum.toLowerCase()) {
    throw new ShardChecksumError(`shard ${shard.dataPath} (${url}) has md5 ${actual}; ` +
      `tensor-cache.json says ${shard.md5sum}`,
      { url, shard: shard.dataPath, expected: shard.md5sum, actual });
  }
}

/**
 * Downloads a shard's body into one buffer of its expected size, reporting
 * bytes as they arrive.
 * @param {string} url
 * @param {ShardRecord} shard
 * @param {(received: number) => void} onBytes
 * @param {AbortSignal} signal
 * @returns {Promise<Uint8Array>}
 * @throws {ShardChecksumError} the body is longer or shorter than nbytes
 */
async function downloadShard(url, shard, onBytes, signal) {
  const response = await fetchOk(url, signal);
  const buffer = new Uint8Array(shard.nbytes);
  let received = 0;
  let reported = 0;
  try {
    const reader = /** @type {ReadableStream<Uint8Array>} */ (response.body).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Bytes beyond nbytes are counted, not kept: the size check below fails.
      if (received + value.byteLength <= shard.nbytes) buffer.set(value, received);
      received += value.byteLength;
      if (received - reported >= PROGRESS_STEP_BYTES && received <= shard.nbytes) {
        onBytes(received);
        reported = received;
      }
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new ModelDownloadError(`download of ${url} broke off after ${received} of ${shard.nbytes} bytes: ` +
      /** @type {Error} */ (error).message, { url, status: response.status, cause: error });
  }
  if (received !== shard.nbytes) throw sizeMismatch(shard, url, received);
  onBytes(received);
  return buffer;
}

/**
 * Loads the shards in order and hands each verified shard to onShard: from the
 * cache, else downloaded (then cached, only once verified). A cached shard
 * that fails its check is deleted and downloaded once more. The next shard is
 * read while onShard works on the current one.
 * @param {object} options
 * @param {string} options.baseUrl the model folder (modelBaseUrl of its record)
 * @param {ShardRecord[]} options.shards tensor-cache.json's records
 * @param {AppConfig} [options.appConfig] chooses the cache backend
 * @param {(index: number, bytes: Uint8Array) => (void|Promise<void>)} options.onShard
 * @param {(progress: ShardProgress) => void} [options.onProgress]
 * @param {AbortSignal} [options.signal] aborting rethrows the signal's reason
 * @returns {Promise<void>}
 * @throws {ModelDownloadError} network failure or HTTP error, with url and status
 * @throws {ShardChecksumError} a downloaded shard's size or md5 is wrong
 * @throws {import("./errors.js").CacheQuotaError} the cache refused a shard
 */
export async function loadShards({ baseUrl, shards, appConfig = prebuiltAppConfig, onShard,
  onProgress = () => {}, signal }) {
  const store = openModelStore(cacheBackendOf(appConfig), MODEL_SCOPE);
  const totalBytes = shards.reduce((sum, shard) => sum + shard.nbytes, 0);
  /** @type {number[]} bytes of all shards before shard i */
  const offsets = [];
  shards.reduce((sum, shard) => (offsets.push(sum), sum + shard.nbytes), 0);
  // Our own controller stops a read-ahead when onShard fails; the caller's signal stops both.
  if (signal?.aborted) throw signal.reason;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort);

  /** @param {number} index */
  const readShard = async (index) => {
    const shard = shards[index];
    const url = new URL(shard.dataPath, baseUrl).href;
    const report = (/** @type {number} */ bytes, /** @type {boolean} */ fromCache) =>
      onProgress({ loadedBytes: offsets[index] + bytes, totalBytes, fromCache, shardIndex: index });
    const cached = await store.get(url);
    if (cached !== undefined) {
      const bytes = new Uint8Array(cached);
      try {
        verifyShard(shard, url, bytes);
        report(shard.nbytes, true);
        return bytes;
      } catch (error) {
        if (!(error instanceof ShardChecksumError)) throw error;
        await store.delete(url); // corrupted in storage: fetch it once more
      }
    }
    const bytes = await downloadShard(url, shard, (received) => report(received, false), controller.signal);
    verifyShard(shard, url, bytes);
    await store.put(url, bytes);
    return bytes;
  };

  try {
    let next = shards.length > 0 ? readShard(0) : null;
    for (let index = 0; index < shards.length; index++) {
      const bytes = await /** @type {Promise<Uint8Array>} */ (next);
      next = index + 1 < shards.length ? readShard(index + 1) : null;
      next?.catch(() => {}); // awaited in the next iteration; unobserved if onShard fails first
      await onShard(index, bytes);
    }
  } catch (error) {
    controller.abort(error);
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
