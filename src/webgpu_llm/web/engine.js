// MLCEngine: the engine in this thread (a page, a Web Worker or a service worker),
// with WebLLM's methods. The work is the Python engine under Pyodide
// (engine/browser_host.py) over WebGPU (bridge.js); this class turns its JSON
// envelopes into values, streams and typed errors.

import { GpuBridge } from "./bridge.js";
import { findModelRecord, modelBaseUrl } from "./config.js";
import { FeatureNotSupportedError, InvalidRequestError, deserializeError } from "./errors.js";
import { processorSampler } from "./logit_processor.js";
import { prebuiltAppConfig } from "./prebuilt_app_config.js";
import { startRuntime } from "./runtime.js";

/**
 * @typedef {import("./config.js").MLCEngineConfig} MLCEngineConfig
 * @typedef {import("./config.js").ChatOptions} ChatOptions
 * @typedef {import("./logit_processor.js").LogitProcessor} LogitProcessor
 */

/** A Python envelope {"ok": value} | {"error": {...}} -> the value, or the error thrown. */
function unwrap(json) {
  const reply = JSON.parse(json);
  if (reply.error) throw deserializeError(reply.error);
  return reply.ok;
}

export class MLCEngine {
  /** @param {MLCEngineConfig & import("./runtime.js").RuntimeOptions} [engineConfig] */
  constructor(engineConfig = {}) {
    this.appConfig = engineConfig.appConfig ?? prebuiltAppConfig;
    this.initProgressCallback = engineConfig.initProgressCallback;
    /** @type {Map<string, LogitProcessor> | undefined} model id -> the processor of its requests */
    this.logitProcessorRegistry = engineConfig.logitProcessorRegistry;
    this.runtimeOptions = engineConfig;
    /** @type {Promise<{bridge: GpuBridge, host: any}> | null} */
    this.started = null;
    this.modelId = null;
    this.chatOpts = undefined;
    /** Bumped by reload() and unload(): a reload in progress whose number moved on aborts. */
    this.loadEpoch = 0;
    this.chat = { completions: { create: (request) => this._create("chat", request) } };
    this.completions = { create: (request) => this._create("completion", request) };
    this.embeddings = { create: (request) => this._embed(request) };
  }

  /** WebLLM's aliases of chat.completions.create and completions.create. */
  chatCompletion(request) {
    return this._create("chat", request);
  }

  completion(request) {
    return this._create("completion", request);
  }

  setInitProgressCallback(callback) {
    this.initProgressCallback = callback;
  }

  getInitProgressCallback() {
    return this.initProgressCallback;
  }

  setAppConfig(appConfig) {
    this.appConfig = appConfig;
  }

  /**
   * WebLLM's LogitProcessor per model id: a loaded model with one has each step's logits
   * brought to JS, processed and sampled here (forwardTokensAndSample, chat.completions,
   * completions; one step at a time, so slower).
   * @param {Map<string, LogitProcessor> | undefined} registry
   */
  setLogitProcessorRegistry(registry) {
    this.logitProcessorRegistry = registry;
  }

  /** The processor of the model a call is for (the one it names, else the only one loaded). */
  _logitProcessor(modelId) {
    const loaded = [this.modelId ?? []].flat();
    const id = modelId ?? (loaded.length === 1 ? loaded[0] : undefined);
    return id === undefined ? undefined : this.logitProcessorRegistry?.get(id);
  }

  /** @param {string} _logLevel accepted for WebLLM compatibility */
  setLogLevel(_logLevel) {}

  /** WebGPU and Python, started once per engine. */
  _start() {
    if (!this.started) {
      this.started = (async () => {
        const bridge = await GpuBridge.create();
        bridge.grammarOptions = { xgrammar: this.runtimeOptions.xgrammar, xgrammarURL: this.runtimeOptions.xgrammarURL };
        const pyodide = await startRuntime(this.runtimeOptions);
        const { BrowserHost } = pyodide.pyimport("webgpu_llm.engine.browser_host");
        return { bridge, host: BrowserHost(bridge) };
      })();
      this.started.catch(() => { this.started = null; });  // a failed start may be retried
    }
    return this.started;
  }

  /**
   * Load models of the app config: one id, or a list loaded one after another into this
   * engine (WebLLM's reload); a request then names its model in `request.model`.
   * @param {string | string[]} modelId @param {ChatOptions | ChatOptions[]} [chatOpts] (a list: one per id)
   */
  async reload(modelId, chatOpts) {
    const ids = Array.isArray(modelId) ? modelId : [modelId];
    const optsList = chatOpts === undefined ? ids.map(() => undefined) : [chatOpts].flat();
    if (optsList.length !== ids.length) {  // WebLLM's ReloadArgumentSizeUnmatchedError
      throw new InvalidRequestError(`reload got ${ids.length} model id(s) and ${optsList.length} chatOpts; `
        + "pass one ChatOptions per id, or none", { param: "chatOpts" });
    }
    const records = ids.map((id) => findModelRecord(id, this.appConfig));
    const epoch = ++this.loadEpoch;
    const checkAborted = () => {  // WebLLM: unload() or a new reload() aborts a reload with an AbortError
      if (this.loadEpoch !== epoch) throw new DOMException(`reload(${ids.join(", ")}) was aborted`, "AbortError");
    };
    const started = performance.now();
    const report = (progress, text) => this.initProgressCallback?.({
      progress, timeElapsed: (performance.now() - started) / 1000, text,
    });
    report(0, "Starting WebGPU and Python");
    const { bridge, host } = await this._start();
    checkAborted();
    for (const record of records) {
      const missing = (record.required_features ?? []).filter((f) => !bridge.adapter.features.has(f));
      if (missing.length) {
        throw new FeatureNotSupportedError(`${record.model_id} needs the WebGPU feature(s) ${missing.join(", ")}, `
          + `which this adapter lacks`);
      }
    }
    this.modelId = null;
    this.chatOpts = undefined;
    const loads = records.map((record, i) => ({
      modelId: record.model_id,
      baseUrl: modelBaseUrl(record),
      chatOptions: { ...(record.overrides ?? {}), ...(optsList[i] ?? {}) },
    }));
    bridge.modelIntegrity = new Map(records.map((record, i) => [loads[i].baseUrl, record.integrity]));
    unwrap(await host.reload(JSON.stringify(loads), this.appConfig, report));
    checkAborted();
    this.modelId = modelId;
    this.chatOpts = chatOpts;
  }

  /** Unload every model; a reload() in progress rejects with an AbortError (a DOMException) and loads nothing. */
  async unload() {
    this.loadEpoch += 1;
    if (!this.started) return;
    const { host } = await this.started;
    unwrap(await host.unload());
    this.modelId = null;
    this.chatOpts = undefined;
  }

  async _create(kind, request) {
    const { host } = await this._start();
    const body = JSON.stringify(request ?? {});
    const processor = this._logitProcessor(request?.model ?? undefined);
    const sampler = processor ? processorSampler(processor) : undefined; // undefined is None in Python (null is JsNull)
    const result = unwrap(kind === "chat" ? await host.chat(body, sampler) : await host.completion(body, sampler));
    return request?.stream ? this._stream(host, result.stream) : result;
  }

  /** OpenAI's embeddings on a loaded embedding model (e.g. all-MiniLM-L6-v2): {object: "list", data, ...}. */
  async _embed(request) {
    const { host } = await this._start();
    return unwrap(await host.embedding(JSON.stringify(request ?? {})));
  }

  /** The chunks of one stream, pulled one call at a time; leaving early ends its generation. */
  async *_stream(host, streamId) {
    let finished = false;
    try {
      for (;;) {
        const chunk = unwrap(await host.next_chunk(streamId));
        if (chunk === null) {
          finished = true;
          return;
        }
        yield chunk;
      }
    } finally {
      if (!finished) unwrap(await host.close_stream(streamId));
    }
  }

  /**
   * WebLLM's low-level API: a forward pass over `inputIds` (a fresh sequence when `isPrefill`,
   * else appended to the current one), then one token sampled with the model's chat config
   * (greedy at temperature 0). With a logit processor, its processLogits sees the logits and
   * processSampledToken the token sampled here. Counts in runtimeStatsText().
   * @param {number[]} inputIds @param {boolean} isPrefill @param {string} [modelId]
   * @returns {Promise<number>}
   */
  async forwardTokensAndSample(inputIds, isPrefill, modelId = undefined) {
    const { host } = await this._start();
    const ids = JSON.stringify(Array.from(inputIds ?? []));
    const processor = this._logitProcessor(modelId);
    if (!processor) return unwrap(await host.forward_tokens_and_sample(ids, Boolean(isPrefill), modelId ?? null));
    const step = unwrap(await host.forward_tokens_logits(ids, Boolean(isPrefill), modelId ?? null));
    return processorSampler(processor)(step.logits, step.temperature, step.top_p);
  }

  /** Stop the running generation after its current token (finish_reason "abort"). */
  interruptGenerate() {
    this.started?.then(({ host }) => host.interrupt());
  }

  /**
   * Forget the conversation (its KV cache); the next request starts from scratch, and the
   * model's logit processor (if any) gets resetState().
   * @param {boolean} [keepStats] @param {string} [modelId] needed when several models are loaded
   */
  async resetChat(keepStats = false, modelId = undefined) {
    const { host } = await this._start();
    unwrap(await host.reset_chat(Boolean(keepStats), modelId ?? null));
    this._logitProcessor(modelId)?.resetState();
  }

  /** The text of a model's last reply (WebLLM's getMessage). @param {string} [modelId] */
  async getMessage(modelId = undefined) {
    const { host } = await this._start();
    return unwrap(await host.get_message(modelId ?? null));
  }

  /** @param {string} [modelId] needed when several models are loaded */
  async runtimeStatsText(modelId = undefined) {
    const { host } = await this._start();
    return unwrap(await host.runtime_stats_text(modelId ?? null));
  }

  /** The adapter's vendor, as WebLLM's getGPUVendor ("" when the browser does not say). */
  async getGPUVendor() {
    const { bridge } = await this._start();
    return bridge.adapter.info?.vendor ?? "";
  }

  /** The device's maxStorageBufferBindingSize in bytes (we ask for the adapter's maximum). */
  async getMaxStorageBufferBindingSize() {
    const { bridge } = await this._start();
    return bridge.device.limits.maxStorageBufferBindingSize;
  }

  /** Our extension: what is loaded, and how many times weights were uploaded by this engine. */
  async getLoadedModelInfo() {
    if (!this.started) return { modelId: null, chatOpts: undefined, weightLoads: 0 };
    const { host } = await this.started;
    return { modelId: this.modelId, chatOpts: this.chatOpts, weightLoads: host.weight_loads };
  }
}

/**
 * WebLLM's CreateMLCEngine: an engine in this thread with `modelId` loaded.
 * @param {string | string[]} modelId @param {MLCEngineConfig} [engineConfig] @param {ChatOptions} [chatOpts]
 */
export async function CreateMLCEngine(modelId, engineConfig, chatOpts) {
  const engine = new MLCEngine(engineConfig);
  await engine.reload(modelId, chatOpts);
  return engine;
}
