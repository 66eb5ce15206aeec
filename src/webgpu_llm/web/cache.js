// Model storage in the browser, on either backend WebLLM offers: the Cache API
// (default) or IndexedDB (appConfig.cacheBackend "indexeddb", or WebLLM's
// useIndexedDBCache). Entries are keyed by the file's absolute URL.
//
// Two scopes, as WebLLM's "webllm/model" and "webllm/config":
//   webgpu-llm/model   tensor-cache.json and the params_shard_N.bin files
//   webgpu-llm/config  mlc-chat-config.json and the tokenizer files
// A scope is a Cache of that name, or an object store of that name in the
// IndexedDB database "webgpu-llm".

import { cacheBackendOf, findModelRecord, modelBaseUrl } from "./config.js";
import { CacheQuotaError, FeatureNotSupportedError } from "./errors.js";
import { prebuiltAppConfig } from "./prebuilt_app_config.js";

/** @typedef {import("./config.js").AppConfig} AppConfig */

export const MODEL_SCOPE = "webgpu-llm/model";
export const CONFIG_SCOPE = "webgpu-llm/config";
export const INDEXEDDB_NAME = "webgpu-llm";
const INDEXEDDB_VERSION = 1;

/** Files of a model folder that live in the model scope; everything else is config. */
export const MODEL_SCOPE_FILES = new Set(["tensor-cache.json", "ndarray-cache.json"]);

/**
 * @typedef {object} ModelStore
 * @property {(url: string) => Promise<ArrayBuffer|undefined>} get
 * @property {(url: string, data: ArrayBuffer|ArrayBufferView) => Promise<void>} put
 *   throws CacheQuotaError when the origin's quota is full
 * @property {(url: string) => Promise<boolean>} has
 * @property {(url: string) => Promise<boolean>} delete  true when an entry was removed
 * @property {() => Promise<string[]>} keys  every URL stored in this scope
 */

/**
 * The store of one scope on one backend.
 * @param {"cache"|"indexeddb"} backend
 * @param {string} scope MODEL_SCOPE or CONFIG_SCOPE
 * @returns {ModelStore}
 */
export function openModelStore(backend, scope) {
  if (scope !== MODEL_SCOPE && scope !== CONFIG_SCOPE) {
    throw new FeatureNotSupportedError(`unknown cache scope ${JSON.stringify(scope)}; ` +
      `use ${MODEL_SCOPE} or ${CONFIG_SCOPE}`, { param: "scope" });
  }
  if (backend === "cache") return new CacheApiStore(scope);
  if (backend === "indexeddb") return new IndexedDBStore(scope);
  throw new FeatureNotSupportedError(`unknown cache backend ${JSON.stringify(backend)}; ` +
    `use "cache" or "indexeddb"`, { param: "cacheBackend" });
}

/**
 * @param {unknown} error
 * @returns {boolean}
 */
function isQuotaError(error) {
  return error instanceof DOMException && (error.name === "QuotaExceededError" || error.code === 22);
}

/**
 * @param {string} url
 * @param {unknown} cause
 */
function quotaError(url, cause) {
  return new CacheQuotaError(`the browser refused to store ${url}: this origin's storage quota is full; ` +
    "free space (deleteModelAllInfoInCache of an unused model) or allow more storage", { url, cause });
}

/** @implements {ModelStore} */
class CacheApiStore {
  /** @param {string} scope */
  constructor(scope) {
    this.scope = scope;
  }

  /** @returns {Promise<Cache>} */
  open() {
    return caches.open(this.scope);
  }

  /** @param {string} url */
  async get(url) {
    const response = await (await this.open()).match(url);
    return response === undefined ? undefined : await response.arrayBuffer();
  }

  /**
   * @param {string} url
   * @param {ArrayBuffer|ArrayBufferView} data
   */
  async put(url, data) {
    const cache = await this.open();
    const response = new Response(/** @type {BodyInit} */ (data),
      { headers: { "Content-Type": "application/octet-stream" } });
    try {
      await cache.put(url, response);
    } catch (error) {
      throw isQuotaError(error) ? quotaError(url, error) : error;
    }
  }

  /** @param {string} url */
  async has(url) {
    return (await (await this.open()).match(url)) !== undefined;
  }

  /** @param {string} url */
  async delete(url) {
    return (await this.open()).delete(url);
  }

  async keys() {
    return (await (await this.open()).keys()).map((request) => request.url);
  }
}

/** @type {Promise<IDBDatabase> | null} one connection per realm, opened on first use */
let databasePromise = null;

/** @returns {Promise<IDBDatabase>} */
function openDatabase() {
  if (databasePromise === null) {
    databasePromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(INDEXEDDB_NAME, INDEXEDDB_VERSION);
      request.onupgradeneeded = () => {
        for (const scope of [MODEL_SCOPE, CONFIG_SCOPE]) {
          if (!request.result.objectStoreNames.contains(scope)) request.result.createObjectStore(scope);
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab deleting or upgrading the database: let it, reopen on next use.
        db.onversionchange = () => {
          db.close();
          databasePromise = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        databasePromise = null;
        reject(request.error);
      };
      request.onblocked = () => console.warn(`IndexedDB ${INDEXEDDB_NAME}: open is blocked by another tab`);
    });
  }
  return databasePromise;
}

/**
 * Runs one request in its own transaction; resolves with its result once the
 * transaction completed (so a write is durable, and a quota failure, which
 * aborts the transaction, is seen).
 * @template T
 * @param {string} scope
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T>} makeRequest
 * @returns {Promise<T>}
 */
async function inTransaction(scope, mode, makeRequest) {
  const db = await openDatabase();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(scope, mode);
    const request = makeRequest(transaction.objectStore(scope));
    transaction.oncomplete = () => resolve(request.result);
    transaction.onabort = () => reject(transaction.error ?? request.error ?? new DOMException("aborted", "AbortError"));
    transaction.onerror = (event) => event.preventDefault(); // reported once, by onabort
  });
}

/** @implements {ModelStore} */
class IndexedDBStore {
  /** @param {string} scope */
  constructor(scope) {
    this.scope = scope;
  }

  /** @param {string} url */
  async get(url) {
    const value = await inTransaction(this.scope, "readonly", (store) => store.get(url));
    return value === undefined ? undefined : /** @type {ArrayBuffer} */ (value);
  }

  /**
   * @param {string} url
   * @param {ArrayBuffer|ArrayBufferView} data
   */
  async put(url, data) {
    // Store exactly the viewed bytes as an ArrayBuffer, whatever view came in.
    const buffer = data instanceof ArrayBuffer ? data
      : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    try {
      await inTransaction(this.scope, "readwrite", (store) => store.put(buffer, url));
    } catch (error) {
      throw isQuotaError(error) ? quotaError(url, error) : error;
    }
  }

  /** @param {string} url */
  async has(url) {
    return (await inTransaction(this.scope, "readonly", (store) => store.count(url))) > 0;
  }

  /** @param {string} url */
  async delete(url) {
    const existed = await this.has(url);
    if (existed) await inTransaction(this.scope, "readwrite", (store) => store.delete(url));
    return existed;
  }

  async keys() {
    const keys = await inTransaction(this.scope, "readonly", (store) => store.getAllKeys());
    return keys.map(String);
  }
}

/**
 * Deletes every entry of a store whose URL lies under baseUrl, except `keep`.
 * @param {ModelStore} store
 * @param {string} baseUrl
 * @param {(url: string) => boolean} [keep]
 */
async function deleteUnder(store, baseUrl, keep = () => false) {
  for (const url of await store.keys()) {
    if (url.startsWith(baseUrl) && !keep(url)) await store.delete(url);
  }
}

/**
 * @param {string} modelId
 * @param {AppConfig} appConfig
 */
function locate(modelId, appConfig) {
  return { baseUrl: modelBaseUrl(findModelRecord(modelId, appConfig)), backend: cacheBackendOf(appConfig) };
}

/**
 * True when the model's tensor-cache.json (or older ndarray-cache.json) is
 * stored, as WebLLM's hasModelInCache.
 * @param {string} modelId
 * @param {AppConfig} [appConfig] defaults to prebuiltAppConfig
 * @returns {Promise<boolean>}
 */
export async function hasModelInCache(modelId, appConfig = prebuiltAppConfig) {
  const { baseUrl, backend } = locate(modelId, appConfig);
  const store = openModelStore(backend, MODEL_SCOPE);
  for (const file of MODEL_SCOPE_FILES) {
    if (await store.has(new URL(file, baseUrl).href)) return true;
  }
  return false;
}

/**
 * Deletes the model's weights (tensor-cache.json and every shard) and its
 * tokenizer files; keeps mlc-chat-config.json (WebLLM's deleteModelInCache).
 * @param {string} modelId
 * @param {AppConfig} [appConfig] defaults to prebuiltAppConfig
 */
export async function deleteModelInCache(modelId, appConfig = prebuiltAppConfig) {
  const { baseUrl, backend } = locate(modelId, appConfig);
  // Everything under the model's URL goes, so shards of an older manifest do too.
  await deleteUnder(openModelStore(backend, MODEL_SCOPE), baseUrl);
  const chatConfigUrl = new URL("mlc-chat-config.json", baseUrl).href;
  await deleteUnder(openModelStore(backend, CONFIG_SCOPE), baseUrl, (url) => url === chatConfigUrl);
}

/**
 * Deletes the model's mlc-chat-config.json (WebLLM's deleteChatConfigInCache).
 * @param {string} modelId
 * @param {AppConfig} [appConfig] defaults to prebuiltAppConfig
 */
export async function deleteChatConfigInCache(modelId, appConfig = prebuiltAppConfig) {
  const { baseUrl, backend } = locate(modelId, appConfig);
  await openModelStore(backend, CONFIG_SCOPE).delete(new URL("mlc-chat-config.json", baseUrl).href);
}

/**
 * WebLLM's deleteModelWasmInCache: deletes the model library from the cache.
 * There are no model libraries here (kernels are generated at load, DESIGN.md
 * decision 2), so it checks that appConfig knows the model and deletes nothing.
 * @param {string} modelId
 * @param {AppConfig} [appConfig] defaults to prebuiltAppConfig
 * @returns {Promise<void>}
 * @throws {import("./errors.js").ModelNotFoundError} appConfig has no such model
 */
export async function deleteModelWasmInCache(modelId, appConfig = prebuiltAppConfig) {
  findModelRecord(modelId, appConfig);
}

/**
 * Deletes everything stored for the model (WebLLM's deleteModelAllInfoInCache;
 * there is no model library to delete here).
 * @param {string} modelId
 * @param {AppConfig} [appConfig] defaults to prebuiltAppConfig
 */
export async function deleteModelAllInfoInCache(modelId, appConfig = prebuiltAppConfig) {
  await deleteModelInCache(modelId, appConfig);
  await deleteChatConfigInCache(modelId, appConfig);
}
