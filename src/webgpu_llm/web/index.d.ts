// Declarations of index.js, the package's entry: every name it exports, plus
// the types of WebLLM's API (requests, responses, configs). Per module, the
// declarations lie beside each module as <module>.d.ts.

export { CreateMLCEngine, MLCEngine } from "./engine.js";
export type {
  ChatCompletions, Completions, Embeddings, LoadedModelInfo, MLCEngineInterface, RuntimeOptions,
} from "./engine.js";
export { CreateWebWorkerMLCEngine, WebWorkerMLCEngine, WebWorkerMLCEngineHandler } from "./web_worker.js";
export type { ChatWorker, HandlerOptions } from "./web_worker.js";
export {
  CreateServiceWorkerMLCEngine, ServiceWorkerMLCEngine, ServiceWorkerMLCEngineHandler,
} from "./service_worker.js";
export {
  CreateExtensionServiceWorkerMLCEngine, ExtensionServiceWorkerMLCEngine, ExtensionServiceWorkerMLCEngineHandler,
} from "./extension_service_worker.js";
export type { ChromePort, ExtensionMLCEngineConfig } from "./extension_service_worker.js";
export type { RequestKind, ResponseKind, WorkerRequest, WorkerResponse } from "./messages.js";
export type { LogitProcessor } from "./logit_processor.js";
export { prebuiltAppConfig } from "./prebuilt_app_config.js";
export {
  ModelType, cleanModelUrl, findModelRecord, functionCallingModelIds, modelLibURLPrefix, modelVersion,
} from "./config.js";
export type {
  AppConfig, ChatConfig, ChatOptions, ConvTemplateConfig, InitProgressCallback, InitProgressReport, LogLevel,
  MLCEngineConfig, ModelRecord,
} from "./config.js";
export { isValidSRI, verifyIntegrity } from "./integrity.js";
export type { FileIntegrityMap, ModelIntegrity, SRIString } from "./integrity.js";
export {
  deleteChatConfigInCache, deleteModelAllInfoInCache, deleteModelInCache, deleteModelWasmInCache, hasModelInCache,
} from "./cache.js";
export {
  CacheQuotaError, ContextWindowExceededError, EngineNotLoadedError, FeatureNotSupportedError, IntegrityError,
  InvalidRequestError, ModelDownloadError, ModelNotFoundError, RuntimeLoadError, ShardChecksumError,
  TransportError, UnknownMessageKindError, UnknownModelError, WebGPULLMError, WebGPUNotAvailableError,
} from "./errors.js";
export type { OpenAIErrorBody, SerializedError, WebGPULLMErrorOptions } from "./errors.js";
export { VERSION } from "./version.js";
export type * from "./openai_api.js";
