// Declarations of errors.js: the typed errors of the JS client (the same class
// names as src/webgpu_llm/protocol/errors.py) and their (de)serialization.

/** What every error class takes after its message. */
export interface WebGPULLMErrorOptions {
  param?: string | null;
  code?: string | null;
  cause?: unknown;
}

/** Plain, structured-clone-safe form of a thrown value (how an error crosses a worker boundary). */
export interface SerializedError {
  name: string;
  message: string;
  type: string | null;
  param: string | null;
  code: string | null;
  stack?: string;
  domException?: boolean;
  details?: Record<string, string | number | boolean | null>;
}

/** OpenAI's error body, as the HTTP server answers it. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Base of every error this package throws on purpose. */
export declare class WebGPULLMError extends Error {
  static defaultType: string;
  static defaultCode: string | null;
  static defaultParam: string | null;
  constructor(message: string, options?: WebGPULLMErrorOptions);
  /** OpenAI's error type: "invalid_request_error" or "server_error". */
  type: string;
  /** The request field at fault, if any. */
  param: string | null;
  /** Machine-readable code, e.g. "context_length_exceeded". */
  code: string | null;
  toJSON(): OpenAIErrorBody;
}

/** The request is malformed or asks for something not allowed (HTTP 400). */
export declare class InvalidRequestError extends WebGPULLMError {}

/** Prompt plus max_tokens do not fit the model's context window. */
export declare class ContextWindowExceededError extends InvalidRequestError {}

/** The request names a model that is not loaded or not known (HTTP 404). */
export declare class UnknownModelError extends InvalidRequestError {}

/** A request arrived before any model was loaded (WebLLM's ModelNotLoadedError). */
export declare class EngineNotLoadedError extends WebGPULLMError {
  constructor(message?: string, options?: WebGPULLMErrorOptions);
}

/** The model id is not in appConfig.model_list (WebLLM's ModelNotFoundError). */
export declare class ModelNotFoundError extends UnknownModelError {
  constructor(modelId: string, knownIds?: string[], options?: WebGPULLMErrorOptions);
  modelId: string;
}

/** A model file could not be downloaded (network failure, HTTP error, aborted body). */
export declare class ModelDownloadError extends WebGPULLMError {
  /** status: the HTTP status, 0 when no response came. */
  constructor(message: string, options?: { url?: string; status?: number } & WebGPULLMErrorOptions);
  url: string | null;
  status: number | null;
}

/** A weight shard's size or md5 differs from tensor-cache.json. */
export declare class ShardChecksumError extends ModelDownloadError {
  constructor(message: string,
    options?: { url?: string; shard?: string; expected?: string; actual?: string } & WebGPULLMErrorOptions);
  shard: string | null;
  expected: string | null;
  actual: string | null;
}

/** A model file does not match the SRI hash of ModelRecord.integrity (WebLLM's IntegrityError). */
export declare class IntegrityError extends ModelDownloadError {
  constructor(url: string, expected: string, actual: string, options?: WebGPULLMErrorOptions);
  /** The SRI hash asked for, e.g. "sha256-...". */
  expected: string;
  /** The SRI hash of the bytes that came, same algorithm. */
  actual: string;
}

/** The browser refused to store a model file: the origin's storage quota is full. */
export declare class CacheQuotaError extends WebGPULLMError {
  constructor(message: string, options?: { url?: string } & WebGPULLMErrorOptions);
  url: string | null;
}

/** navigator.gpu is missing or gave no adapter/device. */
export declare class WebGPUNotAvailableError extends WebGPULLMError {}

/** Python (Pyodide) or the engine wheel could not be loaded. */
export declare class RuntimeLoadError extends WebGPULLMError {}

/** The request asks for something this engine or transport does not do. */
export declare class FeatureNotSupportedError extends InvalidRequestError {}

/** A message of an unknown kind reached a handler (WebLLM's UnknownMessageKindError). */
export declare class UnknownMessageKindError extends WebGPULLMError {}

/** The transport is missing (no service worker API, no active worker, a closed Port). */
export declare class TransportError extends WebGPULLMError {}

export declare function serializeError(error: unknown): SerializedError;

/** Rebuilds the error that serializeError described (or an OpenAI error body), of the same class. */
export declare function deserializeError(obj: SerializedError | OpenAIErrorBody | { name?: string; message?: string }): Error;
