// webgpu-llm's JS client: WebLLM's public names (DESIGN.md decision 3), so an
// app moves over by changing its import.

export { CreateMLCEngine, MLCEngine } from "./engine.js";
export { CreateWebWorkerMLCEngine, WebWorkerMLCEngine, WebWorkerMLCEngineHandler } from "./web_worker.js";
export {
  CreateServiceWorkerMLCEngine, ServiceWorkerMLCEngine, ServiceWorkerMLCEngineHandler,
} from "./service_worker.js";
export {
  CreateExtensionServiceWorkerMLCEngine, ExtensionServiceWorkerMLCEngine, ExtensionServiceWorkerMLCEngineHandler,
} from "./extension_service_worker.js";
export { prebuiltAppConfig } from "./prebuilt_app_config.js";
export { cleanModelUrl, findModelRecord } from "./config.js";
export {
  deleteChatConfigInCache, deleteModelAllInfoInCache, deleteModelInCache, hasModelInCache,
} from "./cache.js";
export {
  CacheQuotaError, ContextWindowExceededError, EngineNotLoadedError, FeatureNotSupportedError,
  InvalidRequestError, ModelDownloadError, ModelNotFoundError, RuntimeLoadError, ShardChecksumError,
  TransportError, UnknownMessageKindError, UnknownModelError, WebGPULLMError, WebGPUNotAvailableError,
} from "./errors.js";
export { VERSION } from "./version.js";
