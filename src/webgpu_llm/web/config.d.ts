// Declarations of config.js: WebLLM's AppConfig, ModelRecord, ChatOptions and
// MLCEngineConfig shapes (web-llm src/config.ts), and the constants beside them.

import type { ModelIntegrity } from "./integrity.js";
import type { LogitProcessor } from "./logit_processor.js";

/** WebLLM's model library version, joined into model_lib URLs (we never fetch model_lib). */
export declare const modelVersion: string;
/** WebLLM's model library folder, joined into model_lib URLs (we never fetch model_lib). */
export declare const modelLibURLPrefix: string;

/** What a ModelRecord is for; a record without model_type is an LLM. */
export declare enum ModelType {
  LLM = 0,
  embedding = 1,
  VLM = 2,
}

/** Model ids that take `tools`: every model of prebuiltAppConfig (every template renders tools). */
export declare const functionCallingModelIds: string[];

/** WebLLM's log levels; accepted and ignored. */
export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "SILENT";

/** MLC's conversation template (mlc-chat-config.json `conv_template`). */
export interface ConvTemplateConfig {
  name?: string;
  system_template: string;
  system_message: string;
  roles: Record<string, string>;
  role_templates?: Record<string, string>;
  seps: string[];
  role_content_sep?: string;
  role_empty_sep?: string;
  stop_str: string[];
  system_prefix_token_ids?: number[];
  stop_token_ids: number[];
  add_role_after_system_message?: boolean;
}

/** The fields of mlc-chat-config.json that ChatOptions may override. */
export interface ChatConfig {
  tokenizer_files: string[];
  vocab_size: number;
  conv_config?: Partial<ConvTemplateConfig>;
  conv_template: ConvTemplateConfig;
  context_window_size: number;
  prefill_chunk_size?: number;
  /** -1 (none) or the model's own window; another value is refused with FeatureNotSupportedError. */
  sliding_window_size: number;
  /** -1 or 0 (no sink); attention sinks are refused with FeatureNotSupportedError. */
  attention_sink_size: number;
  repetition_penalty: number;
  frequency_penalty: number;
  presence_penalty: number;
  top_p: number;
  temperature: number;
  bos_token_id?: number;
}

/** Overrides of mlc-chat-config.json (WebLLM's ChatOptions). */
export interface ChatOptions extends Partial<ChatConfig> {}

/** One model the app can load (WebLLM's ModelRecord). */
export interface ModelRecord {
  /** URL of the MLC artifact folder, optionally with /resolve/{branch}. */
  model: string;
  /** What requests call the model. */
  model_id: string;
  /** Kept for WebLLM's shape; unused (kernels are generated at load). */
  model_lib: string;
  /** Partial mlc-chat-config.json applied at load. */
  overrides?: ChatOptions;
  vram_required_MB?: number;
  low_resource_required?: boolean;
  buffer_size_required_bytes?: number;
  /** WebGPU features the model needs, e.g. "shader-f16". */
  required_features?: string[];
  model_type?: ModelType;
  /** SRI hashes of mlc-chat-config.json and tokenizer files, checked where they are downloaded. */
  integrity?: ModelIntegrity;
}

/** The app's model list and cache choice (WebLLM's AppConfig). */
export interface AppConfig {
  model_list: ModelRecord[];
  /** Cache API (default) or IndexedDB. */
  cacheBackend?: "cache" | "indexeddb";
  /** WebLLM's older switch; true means cacheBackend "indexeddb". */
  useIndexedDBCache?: boolean;
}

/** Progress of a model load, as initProgressCallback receives it. */
export interface InitProgressReport {
  /** 0..1 */
  progress: number;
  /** Seconds since the load began. */
  timeElapsed: number;
  text: string;
}

export type InitProgressCallback = (report: InitProgressReport) => void;

/** Options of CreateMLCEngine / CreateWebWorkerMLCEngine (WebLLM's MLCEngineConfig). */
export interface MLCEngineConfig {
  /** Defaults to prebuiltAppConfig. */
  appConfig?: AppConfig;
  initProgressCallback?: InitProgressCallback;
  /** Accepted for WebLLM compatibility. */
  logLevel?: LogLevel;
  /** Model id -> its LogitProcessor (in-page MLCEngine only, as in WebLLM). */
  logitProcessorRegistry?: Map<string, LogitProcessor>;
}

/** A model URL as the folder its files resolve against ("https://h/u/m" -> "https://h/u/m/resolve/main/"). */
export declare function cleanModelUrl(modelUrl: string): string;

/** cleanModelUrl of record.model, absolute against the page or worker location. */
export declare function modelBaseUrl(record: ModelRecord): string;

/** The record of modelId; throws ModelNotFoundError listing the ids that appConfig knows. */
export declare function findModelRecord(modelId: string, appConfig: AppConfig): ModelRecord;

/** Which storage holds model files; throws FeatureNotSupportedError for another cacheBackend. */
export declare function cacheBackendOf(appConfig?: AppConfig): "cache" | "indexeddb";
