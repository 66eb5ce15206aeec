// Typed errors of the JS client. They mirror src/webgpu_llm/protocol/errors.py:
// same class names, and OpenAI's error fields {type, param, code}
// (https://platform.openai.com/docs/guides/error-codes). An error crosses a
// Worker, ServiceWorker or chrome.runtime Port as `serializeError(e)` and is
// rebuilt on the other side by `deserializeError`, with its class intact, the
// way WebLLM's worker rethrows by kind (web-llm src/message.ts). Errors raised
// by Python arrive as {name, message, type, param, code}; Python class names
// equal the JS class names below.

/**
 * @typedef {object} SerializedError
 * @property {string} name       class name (e.g. "ContextWindowExceededError")
 * @property {string} message
 * @property {string|null} type  OpenAI error type ("invalid_request_error", "server_error")
 * @property {string|null} param request field at fault, if any
 * @property {string|null} code  machine-readable code (e.g. "context_length_exceeded")
 * @property {string} [stack]
 * @property {boolean} [domException] the original was a DOMException (e.g. AbortError)
 * @property {Object<string, string|number|boolean|null>} [details] extra fields (url, status, shard, ...)
 */

/** @typedef {{param?: string|null, code?: string|null, cause?: unknown}} ErrorOptions */

/** Base of every error this package throws on purpose. */
export class WebGPULLMError extends Error {
  static defaultType = "server_error";
  static defaultCode = /** @type {string|null} */ (null);
  static defaultParam = /** @type {string|null} */ (null);

  /**
   * @param {string} message
   * @param {ErrorOptions} [options]
   */
  constructor(message, options = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const cls = /** @type {typeof WebGPULLMError} */ (new.target);
    /** @type {string} */
    this.type = cls.defaultType;
    /** @type {string|null} */
    this.param = options.param !== undefined ? options.param : cls.defaultParam;
    /** @type {string|null} */
    this.code = options.code !== undefined && options.code !== null ? options.code : cls.defaultCode;
  }

  /** OpenAI's error body, as the HTTP server answers it. */
  toJSON() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** The request is malformed or asks for something not allowed (HTTP 400). */
export class InvalidRequestError extends WebGPULLMError {
  static defaultType = "invalid_request_error";
}

/** Prompt plus max_tokens do not fit the model's context window. */
export class ContextWindowExceededError extends InvalidRequestError {
  static defaultCode = "context_length_exceeded";
}

/** The request names a model that is not loaded or not known (HTTP 404). */
export class UnknownModelError extends InvalidRequestError {
  static defaultCode = "model_not_found";
  static defaultParam = "model";
}

/** A request arrived before any model was loaded (WebLLM's ModelNotLoadedError). */
export class EngineNotLoadedError extends WebGPULLMError {
  static defaultType = "invalid_request_error";
  static defaultCode = "engine_not_loaded";

  /**
   * @param {string} [message]
   * @param {ErrorOptions} [options]
   */
  constructor(message = "no model is loaded; call reload(model) first", options = {}) {
    super(message, options);
  }
}

/** The model id is not in appConfig.model_list (WebLLM's ModelNotFoundError). */
export class ModelNotFoundError extends UnknownModelError {
  /**
   * @param {string} modelId
   * @param {string[]} [knownIds] model ids of the appConfig, listed in the message
   * @param {ErrorOptions} [options]
   */
  constructor(modelId, knownIds = [], options = {}) {
    super(`model ${JSON.stringify(modelId)} is not in appConfig.model_list; ` +
          `known model ids: ${knownIds.length ? knownIds.join(", ") : "(none)"}`, options);
    this.modelId = modelId;
  }
}

/** A model file could not be downloaded (network failure, HTTP error, aborted body). */
export class ModelDownloadError extends WebGPULLMError {
  static defaultCode = "model_download_failed";

  /**
   * @param {string} message
   * @param {{url?: string, status?: number} & ErrorOptions} [options]
   *   status is the HTTP status, 0 when no response came (network error)
   */
  constructor(message, options = {}) {
    super(message, options);
    this.url = options.url ?? null;
    this.status = options.status ?? null;
  }
}

/** A weight shard's size or md5 differs from tensor-cache.json. */
export class ShardChecksumError extends ModelDownloadError {
  static defaultCode = "shard_checksum_mismatch";

  /**
   * @param {string} message
   * @param {{url?: string, shard?: string, expected?: string, actual?: string} & ErrorOptions} [options]
   */
  constructor(message, options = {}) {
    super(message, options);
    this.shard = options.shard ?? null;
    this.expected = options.expected ?? null;
    this.actual = options.actual ?? null;
  }
}

/**
 * A model file's bytes do not match the SRI hash of ModelRecord.integrity
 * (WebLLM's IntegrityError, constructed as WebLLM's: url, expected, actual).
 */
export class IntegrityError extends ModelDownloadError {
  static defaultCode = "integrity_check_failed";

  /**
   * @param {string} url
   * @param {string} expected the SRI hash asked for, e.g. "sha256-..."
   * @param {string} actual the SRI hash of the bytes, same algorithm
   * @param {ErrorOptions} [options]
   */
  constructor(url, expected, actual, options = {}) {
    super(`integrity check failed for ${url}: ModelRecord.integrity says ${expected}, the file has ${actual}`,
      { ...options, url });
    this.expected = expected;
    this.actual = actual;
  }
}

/** The browser refused to store a model file: the origin's storage quota is full. */
export class CacheQuotaError extends WebGPULLMError {
  static defaultCode = "cache_quota_exceeded";

  /**
   * @param {string} message
   * @param {{url?: string} & ErrorOptions} [options]
   */
  constructor(message, options = {}) {
    super(message, options);
    this.url = options.url ?? null;
  }
}

/** navigator.gpu is missing or gave no adapter/device. */
export class WebGPUNotAvailableError extends WebGPULLMError {
  static defaultCode = "webgpu_not_available";
}

/** Python (Pyodide) or the engine wheel could not be loaded. */
export class RuntimeLoadError extends WebGPULLMError {
  static defaultCode = "runtime_load_failed";
}

/** The request asks for something this engine or transport does not do. */
export class FeatureNotSupportedError extends InvalidRequestError {
  static defaultCode = "feature_not_supported";
}

/** A message of an unknown kind reached a handler (WebLLM's UnknownMessageKindError). */
export class UnknownMessageKindError extends WebGPULLMError {
  static defaultCode = "unknown_message_kind";
}

/** The transport is missing (no service worker API, no active worker, a closed Port). */
export class TransportError extends WebGPULLMError {
  static defaultCode = "transport_unavailable";
}

/** @type {Map<string, typeof WebGPULLMError>} */
const CLASSES = new Map();
for (const cls of [WebGPULLMError, InvalidRequestError, ContextWindowExceededError, UnknownModelError,
  EngineNotLoadedError, ModelNotFoundError, ModelDownloadError, ShardChecksumError, IntegrityError,
  CacheQuotaError, WebGPUNotAvailableError, RuntimeLoadError, FeatureNotSupportedError, UnknownMessageKindError, TransportError]) {
  // `name` on the prototype: every instance reports its class, as Python's type(e).__name__.
  Object.defineProperty(cls.prototype, "name", { value: cls.name, writable: true, configurable: true });
  CLASSES.set(cls.name, cls);
}

/** Built-in error classes keep their class across the boundary too. */
/** @type {Map<string, ErrorConstructor>} */
const BUILTIN = new Map([Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]
  .map((cls) => [cls.name, cls]));

const STANDARD_FIELDS = new Set(["name", "message", "type", "param", "code", "stack", "cause"]);

/**
 * Plain, structured-clone-safe form of any thrown value.
 * @param {unknown} error
 * @returns {SerializedError}
 */
export function serializeError(error) {
  if (!(error instanceof Error) && !(error instanceof DOMException)) {
    return { name: "Error", message: String(error), type: null, param: null, code: null };
  }
  const e = /** @type {Error & {type?: string, param?: string, code?: unknown}} */ (error);
  /** @type {SerializedError} */
  const out = {
    name: e.name,
    message: e.message,
    type: typeof e.type === "string" ? e.type : null,
    param: typeof e.param === "string" ? e.param : null,
    // DOMException.code is a legacy number; only string codes are OpenAI codes.
    code: typeof e.code === "string" ? e.code : null,
  };
  if (typeof e.stack === "string") out.stack = e.stack;
  if (error instanceof DOMException) out.domException = true;
  const details = Object.entries(e).filter(([key, value]) => !STANDARD_FIELDS.has(key) &&
    (value === null || ["string", "number", "boolean"].includes(typeof value)));
  if (details.length) out.details = Object.fromEntries(details);
  return out;
}

/**
 * Rebuilds the error `serializeError` described, of the same class. A name we
 * have no class for gives a WebGPULLMError whose `.name` is that name.
 * @param {SerializedError | {name?: string, message?: string, error?: object}} obj
 *   also accepts OpenAI's body `{error: {message, type, param, code}}`
 * @returns {Error}
 */
export function deserializeError(obj) {
  const fields = /** @type {Partial<SerializedError>} */ (obj && typeof obj === "object" && "error" in obj &&
    obj.error && typeof obj.error === "object" ? obj.error : obj ?? {});
  const name = typeof fields.name === "string" ? fields.name : "WebGPULLMError";
  const message = typeof fields.message === "string" ? fields.message : String(fields.message ?? "");
  /** @type {any} */
  let error;
  if (fields.domException) {
    error = new DOMException(message, name);
  } else if (BUILTIN.has(name) && fields.type == null) {
    error = new (/** @type {ErrorConstructor} */ (BUILTIN.get(name)))(message);
  } else {
    // Build through the base constructor so subclasses with their own argument
    // lists (ModelNotFoundError(modelId, ...)) still get exactly this message.
    const cls = CLASSES.get(name) ?? WebGPULLMError;
    error = Reflect.construct(WebGPULLMError, [message, { param: fields.param ?? null, code: fields.code ?? null }],
      cls);
    if (fields.type) error.type = fields.type;
    if (!CLASSES.has(name)) error.name = name;
  }
  if (fields.details) Object.assign(error, fields.details);
  if (typeof fields.stack === "string") {
    error.stack = `${fields.stack}\n    --- rethrown across a worker boundary ---\n${error.stack ?? ""}`;
  }
  return error;
}
