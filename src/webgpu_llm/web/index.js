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
export {
  ModelType, cleanModelUrl, findModelRecord, functionCallingModelIds, modelLibURLPrefix, modelVersion,
} from "./config.js";
export { isValidSRI, verifyIntegrity } from "./integrity.js";
export {
  deleteChatConfigInCache, deleteModelAllInfoInCache, deleteModelInCache, deleteModelWasmInCache, hasModelInCache,
} from "./cache.js";
export {
  CacheQuotaError, ContextWindowExceededError, EngineNotLoadedError, FeatureNotSupportedError, IntegrityError,
  InvalidRequestError, ModelDownloadError, ModelNotFoundError, RuntimeLoadError, ShardChecksumError,
  TransportError, UnknownMessageKindError, UnknownModelError, WebGPULLMError, WebGPUNotAvailableError,
} from "./errors.js";
export { VERSION } from "./version.js";
