// The engine in a Web Worker, used from the page through a proxy with
// MLCEngine's methods (WebLLM's WebWorkerMLCEngine / CreateWebWorkerMLCEngine; the
// worker's side, WebWorkerMLCEngineHandler, is in worker_handler.js and exported here too).
// The protocol is in messages.js. The service-worker and extension proxies extend
// WebWorkerMLCEngine and only change how messages travel.

import { EngineNotLoadedError, FeatureNotSupportedError, TransportError, deserializeError } from "./errors.js";
import { messageOf, newUuid } from "./messages.js";

export { WebWorkerMLCEngineHandler } from "./worker_handler.js";

/**
 * @typedef {import("./config.js").AppConfig} AppConfig
 * @typedef {import("./config.js").ChatOptions} ChatOptions
 * @typedef {import("./config.js").MLCEngineConfig} MLCEngineConfig
 * @typedef {import("./config.js").InitProgressCallback} InitProgressCallback
 * @typedef {import("./worker_handler.js").HandlerOptions} HandlerOptions
 */

/**
 * The error of a Worker's "error" event, of its class where the browser's text names one
 * ("Uncaught FeatureNotSupportedError: ..."); a script that failed to load gives a TransportError.
 * @param {any} event
 * @returns {Error}
 */
function errorOfEvent(event) {
  if (event?.error instanceof Error) return event.error;
  const text = typeof event?.message === "string" ? event.message : "";
  const match = /^(?:Uncaught )?([A-Za-z_$][\w$]*): ([\s\S]*)$/.exec(text);
  if (match) return deserializeError({ name: match[1], message: match[2] });
  return new TransportError(text ? `the worker failed: ${text}` : "the worker failed (its script did not load or threw)");
}

/**
 * Anything with postMessage and a settable onmessage: a Worker, or an adapter.
 * @typedef {{postMessage: (message: any) => void, onmessage: any}} ChatWorker
 */

/**
 * The page-side proxy of an engine that runs in a worker: MLCEngine's methods
 * over postMessage. Errors come back as the classes the engine threw.
 */
export class WebWorkerMLCEngine {
  /**
   * @param {ChatWorker} worker
   * @param {MLCEngineConfig} [engineConfig]
   */
  constructor(worker, engineConfig = {}) {
    this.worker = worker;
    /** @type {Map<string, {resolve: (value: any) => void, reject: (error: Error) => void}>} */
    this.pending = new Map();
    /** @type {string|string[]|undefined} what this proxy asked the handler to load */
    this.modelId = undefined;
    /** @type {ChatOptions|ChatOptions[]|undefined} */
    this.chatOpts = undefined;
    /** @type {InitProgressCallback|undefined} */
    this.initProgressCallback = undefined;
    worker.onmessage = (/** @type {any} */ event) => this.onmessage(event);
    // A worker that fails (a script error, an uncaught exception, a message it cannot read)
    // rejects every pending call instead of leaving it waiting.
    /** @type {any} */ (worker).addEventListener?.("error", (/** @type {any} */ event) => {
      event.preventDefault?.();
      this.rejectAll(errorOfEvent(event));
    });
    /** @type {any} */ (worker).addEventListener?.("messageerror", () => this.rejectAll(
      new TransportError("a message from the worker could not be deserialized")));
    this.chat = { completions: { create: (/** @type {any} */ request) => this.chatCompletion(request) } };
    this.completions = { create: (/** @type {any} */ request) => this.completion(request) };
    this.embeddings = { create: (/** @type {any} */ request) => this.embedding(request) };
    if (engineConfig.appConfig) this.setAppConfig(engineConfig.appConfig);
    this.setInitProgressCallback(engineConfig.initProgressCallback);
  }

  /** @param {InitProgressCallback|undefined} callback */
  setInitProgressCallback(callback) {
    this.initProgressCallback = callback;
  }

  getInitProgressCallback() {
    return this.initProgressCallback;
  }

  /** @param {AppConfig} appConfig */
  setAppConfig(appConfig) {
    this.request("setAppConfig", appConfig).catch((error) => console.error("setAppConfig failed:", error));
  }

  /** @param {string} _logLevel accepted for WebLLM compatibility */
  setLogLevel(_logLevel) {}

  /**
   * Sends a request; resolves with its "return", rejects with its "throw".
   * @param {import("./messages.js").RequestKind} kind
   * @param {any} content
   * @param {string} [uuid]
   * @returns {Promise<any>}
   */
  request(kind, content, uuid = newUuid()) {
    return new Promise((resolve, reject) => {
      this.pending.set(uuid, { resolve, reject });
      try {
        this.worker.postMessage({ kind, uuid, content });
      } catch (error) {
        this.pending.delete(uuid);
        reject(error);
      }
    });
  }

  /**
   * Loads a model in the handler's engine.
   * @param {string|string[]} modelId
   * @param {ChatOptions|ChatOptions[]} [chatOpts]
   */
  async reload(modelId, chatOpts) {
    await this.request("reload", { modelId, chatOpts });
    this.modelId = modelId;
    this.chatOpts = chatOpts;
  }

  async unload() {
    await this.request("unload", null);
    this.modelId = undefined;
    this.chatOpts = undefined;
  }

  /** @param {any} request an OpenAI chat completion request */
  chatCompletion(request) {
    return this.create("chatCompletion", request);
  }

  /** @param {any} request an OpenAI completion request */
  completion(request) {
    return this.create("completion", request);
  }

  /**
   * @param {any} request an OpenAI embeddings request (the loaded model must be an embedding model)
   * @returns {Promise<any>} the CreateEmbeddingResponse
   */
  async embedding(request) {
    if (this.modelId === undefined) {
      throw new EngineNotLoadedError(`no model is loaded in this ${this.constructor.name}; call reload(model) first`);
    }
    return this.request("embedding", { request, modelId: this.modelId, chatOpts: this.chatOpts });
  }

  /**
   * @param {"chatCompletion"|"completion"} api
   * @param {any} request
   * @returns {Promise<any>} the response, or an async iterable of chunks when request.stream
   */
  async create(api, request) {
    if (this.modelId === undefined) {
      throw new EngineNotLoadedError(`no model is loaded in this ${this.constructor.name}; call reload(model) first`);
    }
    const content = { request, modelId: this.modelId, chatOpts: this.chatOpts };
    if (!request?.stream) return this.request(`${api}NonStreaming`, content);
    const streamId = newUuid();
    await this.request(`${api}StreamInit`, content, streamId);
    return this.pullChunks(streamId);
  }

  /**
   * The chunks of a stream in the handler, one request per chunk. Leaving the
   * loop early tells the handler, which ends the generation.
   * @param {string} streamId
   */
  async *pullChunks(streamId) {
    let ended = false;
    try {
      for (;;) {
        const chunk = await this.request("completionStreamNextChunk", { streamId });
        if (chunk === null || chunk === undefined) {
          ended = true;
          return;
        }
        yield chunk;
      }
    } catch (error) {
      ended = true; // the handler dropped a stream that failed
      throw error;
    } finally {
      if (!ended) this.request("completionStreamReturn", { streamId }).catch(() => {});
    }
  }

  /**
   * WebLLM's low-level API, run by the handler's engine (message kind "forwardTokensAndSample").
   * @param {number[]} inputIds @param {boolean} isPrefill @param {string} [modelId]
   * @returns {Promise<number>} the sampled token
   */
  async forwardTokensAndSample(inputIds, isPrefill, modelId = undefined) {
    if (this.modelId === undefined) {
      throw new EngineNotLoadedError(`no model is loaded in this ${this.constructor.name}; call reload(model) first`);
    }
    return this.request("forwardTokensAndSample", {
      inputIds: Array.from(inputIds ?? []), isPrefill: Boolean(isPrefill), modelId, chatOpts: this.chatOpts,
      loadedModelId: this.modelId,
    });
  }

  /**
   * Logit processors run where the engine is (their functions cannot cross postMessage), so a
   * proxy refuses them, as WebLLM's examples set them in the worker instead.
   * @param {Map<string, any> | undefined} _registry
   */
  setLogitProcessorRegistry(_registry) {
    throw new FeatureNotSupportedError(`${this.constructor.name} cannot take a logit processor: a processor's `
      + "functions cannot be sent to the worker; register it there, with handler.setLogitProcessorRegistry(registry) "
      + "(or new MLCEngine({logitProcessorRegistry}) served by the handler)");
  }

  /** Stops the running generation after its current token (finish_reason "abort"). */
  interruptGenerate() {
    this.request("interruptGenerate", null).catch(() => {});
  }

  /**
   * @param {boolean} [keepStats]
   * @param {string} [modelId] which loaded model (needed when several are)
   */
  async resetChat(keepStats = false, modelId = undefined) {
    await this.request("resetChat", { keepStats, modelId });
  }

  /**
   * @param {string} [modelId] which loaded model (needed when several are)
   * @returns {Promise<string>}
   */
  getMessage(modelId = undefined) {
    return this.request("getMessage", { modelId });
  }

  /**
   * @param {string} [modelId] which loaded model (needed when several are)
   * @returns {Promise<string>}
   */
  runtimeStatsText(modelId = undefined) {
    return this.request("runtimeStatsText", { modelId });
  }

  /** @returns {Promise<{modelId: string|string[]|null, chatOpts?: ChatOptions|ChatOptions[], weightLoads: number}>} */
  getLoadedModelInfo() {
    return this.request("getLoadedModelInfo", null);
  }

  /** @returns {Promise<number>} */
  getMaxStorageBufferBindingSize() {
    return this.request("getMaxStorageBufferBindingSize", null);
  }

  /** @returns {Promise<string>} */
  getGPUVendor() {
    return this.request("getGPUVendor", null);
  }

  /**
   * A reply from the handler.
   * @param {MessageEvent | WorkerResponse} event
   */
  onmessage(event) {
    const message = messageOf(event);
    if (!message || typeof message.kind !== "string") return;
    if (message.kind === "initProgressCallback") {
      this.initProgressCallback?.(message.content);
      return;
    }
    if (message.kind === "error") { // the handler failed outside a request: nothing pending will be answered
      this.rejectAll(deserializeError(message.content ?? {}));
      return;
    }
    const pending = this.pending.get(message.uuid);
    if (pending === undefined) return; // a reply meant for another proxy (several tabs, one service worker)
    if (message.kind === "return") {
      this.pending.delete(message.uuid);
      pending.resolve(message.content);
    } else if (message.kind === "throw") {
      this.pending.delete(message.uuid);
      pending.reject(deserializeError(message.content));
    }
  }

  /**
   * Fails one request in flight (its message could not be sent).
   * @param {string} uuid
   * @param {Error} error
   */
  failRequest(uuid, error) {
    this.pending.get(uuid)?.reject(error);
    this.pending.delete(uuid);
  }

  /**
   * Fails every request in flight (the transport went away).
   * @param {Error} error
   */
  rejectAll(error) {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}

/**
 * WebLLM's CreateWebWorkerMLCEngine: a proxy of the engine in `worker`, with
 * `modelId` loaded.
 * @param {ChatWorker} worker e.g. new Worker(new URL("./worker.js", import.meta.url), {type: "module"})
 * @param {string|string[]} modelId
 * @param {MLCEngineConfig} [engineConfig]
 * @param {ChatOptions|ChatOptions[]} [chatOpts]
 * @returns {Promise<WebWorkerMLCEngine>}
 */
export async function CreateWebWorkerMLCEngine(worker, modelId, engineConfig, chatOpts) {
  const engine = new WebWorkerMLCEngine(worker, engineConfig);
  await engine.reload(modelId, chatOpts);
  return engine;
}
