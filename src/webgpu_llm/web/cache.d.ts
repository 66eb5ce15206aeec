// Declarations of cache.js: model files in the Cache API or IndexedDB, and WebLLM's cache helpers.

import type { AppConfig } from "./config.js";

export declare const MODEL_SCOPE: "webgpu-llm/model";
export declare const CONFIG_SCOPE: "webgpu-llm/config";
export declare const INDEXEDDB_NAME: "webgpu-llm";
/** Files of a model folder that live in the model scope; everything else is config. */
export declare const MODEL_SCOPE_FILES: Set<string>;

/** One scope of one backend, keyed by the file's absolute URL. */
export interface ModelStore {
  get(url: string): Promise<ArrayBuffer | undefined>;
  /** Rejects with CacheQuotaError when the origin's quota is full. */
  put(url: string, data: ArrayBuffer | ArrayBufferView): Promise<void>;
  has(url: string): Promise<boolean>;
  delete(url: string): Promise<boolean>;
  keys(): Promise<string[]>;
}

export declare function openModelStore(backend: "cache" | "indexeddb", scope: string): ModelStore;

/** True when the model's tensor-cache.json (or ndarray-cache.json) is stored. */
export declare function hasModelInCache(modelId: string, appConfig?: AppConfig): Promise<boolean>;

/** Deletes the model's weights and tokenizer files; keeps mlc-chat-config.json. */
export declare function deleteModelInCache(modelId: string, appConfig?: AppConfig): Promise<void>;

/** Deletes the model's mlc-chat-config.json. */
export declare function deleteChatConfigInCache(modelId: string, appConfig?: AppConfig): Promise<void>;

/**
 * WebLLM's deleteModelWasmInCache. There is no model library here, so it deletes
 * nothing; it rejects with ModelNotFoundError when appConfig has no such model.
 */
export declare function deleteModelWasmInCache(modelId: string, appConfig?: AppConfig): Promise<void>;

/** Deletes everything stored for the model. */
export declare function deleteModelAllInfoInCache(modelId: string, appConfig?: AppConfig): Promise<void>;
