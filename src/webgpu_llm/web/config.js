// App and model configuration, in WebLLM's shapes (web-llm src/config.ts):
// an AppConfig lists ModelRecords; a ModelRecord names the model's URL (MLC
// artifact folder, DESIGN.md decision 2) and its id.

import { FeatureNotSupportedError, ModelNotFoundError } from "./errors.js";
import { prebuiltAppConfig } from "./prebuilt_app_config.js";

/**
 * WebLLM's model library folder and version, which apps join into a record's
 * model_lib (`modelLibURLPrefix + modelVersion + "/<lib>.wasm"`). The values are
 * WebLLM's, so such URLs read as they do there; we never fetch model_lib:
 * kernels are generated at load (DESIGN.md decision 2).
 */
export const modelVersion = "v0_2_80";
export const modelLibURLPrefix = "https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/";

/**
 * What a ModelRecord is for (WebLLM's numeric enum, with its reverse mapping:
 * ModelType.LLM === 0, ModelType[0] === "LLM"); a record without model_type is an LLM.
 * @enum {number}
 */
export const ModelType = Object.freeze({ LLM: 0, embedding: 1, VLM: 2, 0: "LLM", 1: "embedding", 2: "VLM" });

/**
 * Model ids that take `tools` (WebLLM's functionCallingModelIds). Every
 * conversation template here renders tools (conversation/tool_format.py), so
 * that is every model of prebuiltAppConfig (the served one lists the local models).
 * @type {string[]}
 */
export const functionCallingModelIds = prebuiltAppConfig.model_list.map((record) => record.model_id);

/**
 * One model the app can load (WebLLM's ModelRecord).
 * @typedef {object} ModelRecord
 * @property {string} model    URL of the MLC artifact folder: https://huggingface.co/{user}/{model},
 *                             optionally with /resolve/{branch}
 * @property {string} model_id what requests call the model
 * @property {string} model_lib kept for WebLLM's shape; unused (kernels are generated at load)
 * @property {ChatOptions} [overrides] partial mlc-chat-config.json applied at load
 * @property {number} [vram_required_MB]
 * @property {boolean} [low_resource_required]
 * @property {number} [buffer_size_required_bytes]
 * @property {string[]} [required_features] WebGPU features the model needs (e.g. "shader-f16")
 * @property {number} [model_type] 0 LLM, 1 embedding, 2 VLM (WebLLM's ModelType)
 * @property {import("./integrity.js").ModelIntegrity} [integrity] SRI hashes of mlc-chat-config.json
 *   and tokenizer files, checked where they are downloaded (integrity.js)
 */

/**
 * The app's model list and cache choice (WebLLM's AppConfig).
 * @typedef {object} AppConfig
 * @property {ModelRecord[]} model_list
 * @property {"cache"|"indexeddb"} [cacheBackend] Cache API (default) or IndexedDB
 * @property {boolean} [useIndexedDBCache] WebLLM's older switch; true means cacheBackend "indexeddb"
 */

/**
 * Overrides of mlc-chat-config.json fields (WebLLM's ChatOptions = Partial<ChatConfig>).
 * @typedef {object} ChatOptions
 * @property {number} [context_window_size]
 * @property {number} [sliding_window_size] -1 (none) or the model's own window; others are refused
 *   (engine/chat_options.py): attention runs as the model defines it
 * @property {number} [attention_sink_size] -1 or 0 (no sink); attention sinks are refused
 * @property {number} [temperature]
 * @property {number} [top_p]
 * @property {number} [repetition_penalty]
 * @property {number} [frequency_penalty]
 * @property {number} [presence_penalty]
 * @property {string[]} [tokenizer_files]
 * @property {object} [conv_config]
 * @property {object} [conv_template]
 */

/**
 * Progress of a model load, as initProgressCallback receives it (WebLLM's InitProgressReport).
 * @typedef {object} InitProgressReport
 * @property {number} progress    0..1
 * @property {number} timeElapsed seconds since the load began
 * @property {string} text        a line for the user
 */

/** @typedef {(report: InitProgressReport) => void} InitProgressCallback */

/**
 * Options of CreateMLCEngine / CreateWebWorkerMLCEngine (WebLLM's MLCEngineConfig).
 * @typedef {object} MLCEngineConfig
 * @property {AppConfig} [appConfig] defaults to prebuiltAppConfig
 * @property {InitProgressCallback} [initProgressCallback]
 * @property {string} [logLevel] accepted for WebLLM compatibility
 */

/**
 * WebLLM's cleanModelUrl: a model URL as the folder its files resolve against.
 * "https://h/u/m" -> "https://h/u/m/resolve/main/"; a URL that already names
 * "/resolve/<branch>/" only gains its trailing "/".
 * @param {string} modelUrl
 * @returns {string}
 */
export function cleanModelUrl(modelUrl) {
  let url = modelUrl.endsWith("/") ? modelUrl : modelUrl + "/";
  if (!/\/resolve\/[^/]+\//.test(url)) url += "resolve/main/";
  return url;
}

/**
 * The folder URL a record's files resolve against (cleanModelUrl of record.model,
 * made absolute against the page or worker location when it is relative).
 * @param {ModelRecord} record
 * @returns {string}
 */
export function modelBaseUrl(record) {
  return new URL(cleanModelUrl(record.model), globalThis.location?.href).href;
}

/**
 * The record of modelId in appConfig.model_list.
 * @param {string} modelId
 * @param {AppConfig} appConfig
 * @returns {ModelRecord}
 * @throws {ModelNotFoundError} listing the ids that appConfig knows
 */
export function findModelRecord(modelId, appConfig) {
  const modelList = appConfig?.model_list ?? [];
  const record = modelList.find((item) => item.model_id === modelId);
  if (record === undefined) {
    throw new ModelNotFoundError(modelId, modelList.map((item) => item.model_id));
  }
  return record;
}

/**
 * Which storage holds model files: "indexeddb" when appConfig asks for it
 * (cacheBackend "indexeddb", or WebLLM's useIndexedDBCache: true), else the Cache API.
 * @param {AppConfig} [appConfig]
 * @returns {"cache"|"indexeddb"}
 * @throws {FeatureNotSupportedError} for another cacheBackend (e.g. WebLLM's "cross-origin")
 */
export function cacheBackendOf(appConfig) {
  const backend = appConfig?.cacheBackend;
  // WebLLM's older switch, set on prebuiltAppConfig (whose cacheBackend is "cache") as WebLLM's
  // cache-usage example does, still means IndexedDB; only another backend named outright wins.
  if (backend === undefined || backend === null || backend === "cache") {
    return appConfig?.useIndexedDBCache === true ? "indexeddb" : "cache";
  }
  if (backend !== "cache" && backend !== "indexeddb") {
    throw new FeatureNotSupportedError(
      `appConfig.cacheBackend ${JSON.stringify(backend)} is not supported; use "cache" or "indexeddb"`,
      { param: "cacheBackend" });
  }
  return backend;
}
