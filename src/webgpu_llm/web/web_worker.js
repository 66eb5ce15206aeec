// The engine in a Web Worker, used from the page through a proxy with
// MLCEngine's methods (WebLLM's WebWorkerMLCEngineHandler / WebWorkerMLCEngine /
// CreateWebWorkerMLCEngine). The protocol is in messages.js. The service-worker
// and extension handlers and proxies extend these two classes and only change
// how messages travel. Streams are pulled one chunk per request (streams.js).

import { MLCEngine } from "./engine.js";
import {
  EngineNotLoadedError, FeatureNotSupportedError, InvalidRequestError, TransportError, UnknownMessageKindError,
  deserializeError, serializeError,
} from "./errors.js";
import { QUERY_KINDS, messageOf, newUuid, sameLoad, sameModelId } from "./messages.js";
import { StreamTable } from "./streams.js";

/**
 * @typedef {import("./config.js").AppConfig} AppConfig
 * @typedef {import("./config.js").ChatOptions} ChatOptions
 * @typedef {import("./config.js").MLCEngineConfig} MLCEngineConfig
 * @typedef {import("./config.js").InitProgressCallback} InitProgressCallback
 * @typedef {import("./messages.js").WorkerRequest} WorkerRequest
 * @typedef {import("./messages.js").WorkerResponse} WorkerResponse
 */

/**
 * Options of a handler: runtime options for `new MLCEngine(options)`
 * (pyodideURL, wheelURL, loadPyodide, createPyodideModule), plus:
 * @typedef {object} HandlerOptions
 * @property {any} [engine] an engine to serve instead of a new MLCEngine (same methods)
 * @property {number} [streamIdleTimeoutMs] a stream whose reader has not asked for its next
 *   chunk for this long is closed, ending its generation (default 60000)
 */

const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 60_000;

/** Serves one engine to the page that created this Web Worker. */
export class WebWorkerMLCEngineHandler {
  /** @param {HandlerOptions & import("./runtime.js").RuntimeOptions} [options] */
  constructor(options = {}) {
    const { engine, streamIdleTimeoutMs = DEFAULT_STREAM_IDLE_TIMEOUT_MS, ...runtimeOptions } = options;
    /** The engine this handler serves. */
    this.engine = engine ?? new MLCEngine(runtimeOptions);
    /** @type {string|string[]|undefined} what the engine has loaded, as the last reload named it */
    this.modelId = undefined;
    /** @type {ChatOptions|ChatOptions[]|undefined} */
    this.chatOpts = undefined;
    /** A reload of what is already loaded skips loading (service workers outlive pages). */
    this.skipLoadedReload = false;
    /** Open streams, closed when their reader goes away or stops pulling. */
    this.streams = new StreamTable({ idleTimeoutMs: streamIdleTimeoutMs,
      isAlive: (target) => this.isTargetAlive(target) });
    /** The reload whose progress reports go out, and to whom. */
    this.progressRoute = { uuid: "", target: /** @type {any} */ (undefined) };
    this.engine.setInitProgressCallback((/** @type {any} */ report) => this.postMessage(
      { kind: "initProgressCallback", uuid: this.progressRoute.uuid, content: report }, this.progressRoute.target));
  }

  /**
   * Sends a message to a reader. A Web Worker has one: the page.
   * @param {WorkerResponse} message
   * @param {any} [_target]
   */
  postMessage(message, _target) {
    /** @type {any} */ (self).postMessage(message);
  }

  /**
   * Whether a reader is still there; a stream of a gone reader is closed.
   * @param {any} _target
   * @returns {Promise<boolean>}
   */
  async isTargetAlive(_target) {
    return true;
  }

  /**
   * Handles one request: `self.onmessage = (e) => handler.onmessage(e)`.
   * @param {MessageEvent | WorkerRequest} event
   * @param {any} [target] where the request came from (service workers, Ports)
   * @returns {Promise<void>} settles when the reply went out
   */
  onmessage(event, target) {
    const message = messageOf(event);
    if (!message || typeof message.kind !== "string" || typeof message.uuid !== "string") {
      return Promise.resolve(); // not one of ours
    }
    if (message.kind === "keepAlive") {
      this.postMessage({ kind: "heartbeat", uuid: message.uuid, content: null }, target);
      return Promise.resolve();
    }
    return this.handleTask(message, target).catch((error) => this.reportError(error, target));
  }

  /**
   * Tells the reader about an error outside any request's answer (the reply could not be
   * sent, an uncaught exception in the worker): "error" with the serialized error, on which
   * the proxy rejects every pending call with that class.
   * @param {unknown} error
   * @param {any} [target]
   */
  reportError(error, target) {
    try {
      this.postMessage({ kind: "error", uuid: "", content: serializeError(error) }, target);
    } catch (e) {
      console.error("could not report a worker error:", error, e);
    }
  }

  /**
   * Reports the uncaught exceptions and unhandled rejections of this worker scope as
   * "error" messages (worker.js calls it), so the page does not wait forever.
   * @param {any} scope the worker's global scope
   */
  reportUncaught(scope) {
    scope.addEventListener?.("error", (/** @type {any} */ event) => this.reportError(event.error ?? event.message));
    scope.addEventListener?.("unhandledrejection", (/** @type {any} */ event) => this.reportError(event.reason));
  }

  /**
   * Runs a request and replies "return" with its value or "throw" with its error.
   * @param {WorkerRequest} message
   * @param {any} target
   */
  async handleTask(message, target) {
    /** @type {WorkerResponse} */
    let reply;
    try {
      const value = await this.dispatch(message, target);
      reply = { kind: "return", uuid: message.uuid, content: value === undefined ? null : value };
    } catch (error) {
      reply = { kind: "throw", uuid: message.uuid, content: serializeError(error) };
    }
    try {
      this.postMessage(reply, target);
    } catch (error) { // a value that cannot be cloned still answers the request
      this.postMessage({ kind: "throw", uuid: message.uuid, content: serializeError(error) }, target);
    }
  }

  /**
   * @param {WorkerRequest} message
   * @param {any} target
   * @returns {Promise<unknown>}
   */
  async dispatch(message, target) {
    const { kind, content } = message;
    switch (kind) {
      case "reload":
        return this.reload(message, target);
      case "unload":
        this.streams.closeAll();
        await this.engine.unload();
        this.modelId = undefined;
        this.chatOpts = undefined;
        return null;
      case "setAppConfig":
        this.engine.setAppConfig(content);
        return null;
      case "setLogLevel":
        return null;
      case "chatCompletionNonStreaming":
      case "completionNonStreaming":
        await this.reloadIfUnmatched(message, target);
        return this.api(kind).create(content.request);
      case "embedding":
        await this.reloadIfUnmatched(message, target);
        return this.engine.embeddings.create(content.request);
      case "chatCompletionStreamInit":
      case "completionStreamInit": {
        if (!content?.request?.stream) {
          throw new InvalidRequestError(`${kind} needs a request with stream: true`, { param: "stream" });
        }
        await this.reloadIfUnmatched(message, target);
        this.streams.open(message.uuid, await this.api(kind).create(content.request), target);
        return null;
      }
      case "completionStreamNextChunk":
        return this.streams.next(content?.streamId);
      case "completionStreamReturn":
        this.streams.close(content?.streamId);
        return null;
      case "interruptGenerate":
        this.engine.interruptGenerate();
        return null;
      case "resetChat":
        await this.engine.resetChat(Boolean(content?.keepStats), content?.modelId ?? undefined);
        return null;
      default:
        if (QUERY_KINDS.has(kind)) {
          if (typeof this.engine[kind] !== "function") {
            throw new FeatureNotSupportedError(`this engine has no ${kind}()`);
          }
          // getMessage and runtimeStatsText take WebLLM's optional modelId, the others nothing
          return content?.modelId == null ? this.engine[kind]() : this.engine[kind](content.modelId);
        }
        throw new UnknownMessageKindError(`unknown message kind ${JSON.stringify(kind)}`, { param: "kind" });
    }
  }

  /**
   * engine.chat.completions or engine.completions, by message kind.
   * @param {string} kind
   * @returns {{create: (request: any) => Promise<any>}}
   */
  api(kind) {
    return kind.startsWith("chat") ? this.engine.chat.completions : this.engine.completions;
  }

  /**
   * @param {WorkerRequest} message
   * @param {any} target
   */
  async reload(message, target) {
    const { modelId, chatOpts } = message.content ?? {};
    if (this.skipLoadedReload && this.modelId !== undefined && sameLoad(this, { modelId, chatOpts })) {
      // WebLLM's service worker answers a reload of what it has with progress 1 at once.
      this.postMessage({ kind: "initProgressCallback", uuid: message.uuid,
        content: { progress: 1, timeElapsed: 0, text: `Finish loading on ${await gpuLabel()}` } }, target);
      return null;
    }
    await this.loadModel(modelId, chatOpts, message, target);
    return null;
  }

  /**
   * @param {string|string[]} modelId
   * @param {ChatOptions|ChatOptions[]|undefined} chatOpts
   * @param {WorkerRequest} message the request whose reader gets the progress reports
   * @param {any} target
   */
  async loadModel(modelId, chatOpts, message, target) {
    this.progressRoute = { uuid: message.uuid, target };
    this.modelId = undefined;
    await this.engine.reload(modelId, chatOpts);
    this.modelId = modelId;
    this.chatOpts = chatOpts;
  }

  /**
   * The proxy says which model it expects; a handler that lost it (a restarted
   * service worker) loads it again first (WebLLM's reloadIfUnmatched).
   * @param {WorkerRequest} message
   * @param {any} target
   */
  async reloadIfUnmatched(message, target) {
    const { modelId, chatOpts } = message.content ?? {};
    if (modelId !== undefined && !sameModelId(this.modelId, modelId)) {
      await this.loadModel(modelId, chatOpts, message, target);
    }
  }
}

/** "WebGPU - <adapter>" for the progress line of a skipped reload, as WebLLM words it. */
async function gpuLabel() {
  try {
    const info = (await navigator.gpu?.requestAdapter())?.info;
    const name = info?.description || info?.vendor;
    return name ? `WebGPU - ${name}` : "WebGPU";
  } catch {
    return "WebGPU";
  }
}

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
