// The engine's side of a Web Worker (WebLLM's WebWorkerMLCEngineHandler): it answers the
// requests of the page-side proxy (web_worker.js) with an MLCEngine's methods. The protocol
// is in messages.js; streams are pulled one chunk per request (streams.js). The
// service-worker and extension handlers extend this class and only change how messages travel.

import { MLCEngine } from "./engine.js";
import {
  FeatureNotSupportedError, InvalidRequestError, UnknownMessageKindError, serializeError,
} from "./errors.js";
import { QUERY_KINDS, messageOf, sameLoad, sameModelId } from "./messages.js";
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
   * WebLLM's handler.setLogitProcessorRegistry: processors for the engine in this worker
   * (a page's proxy cannot send them).
   * @param {Map<string, import("./logit_processor.js").LogitProcessor> | undefined} registry
   */
  setLogitProcessorRegistry(registry) {
    if (typeof this.engine.setLogitProcessorRegistry !== "function") {
      throw new FeatureNotSupportedError("this handler's engine takes no logit processors");
    }
    this.engine.setLogitProcessorRegistry(registry);
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
      case "forwardTokensAndSample":
        await this.reloadIfUnmatched({ ...message, content: { modelId: content?.loadedModelId,
          chatOpts: content?.chatOpts } }, target);
        return this.engine.forwardTokensAndSample(content?.inputIds ?? [], Boolean(content?.isPrefill),
          content?.modelId ?? undefined);
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
