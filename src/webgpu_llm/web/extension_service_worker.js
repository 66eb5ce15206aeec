// The engine in a Chrome extension's service worker, reached from the
// extension's pages and popup (or, with externally_connectable, from web
// pages) over a chrome.runtime Port. WebLLM's ExtensionServiceWorkerMLCEngineHandler /
// ExtensionServiceWorkerMLCEngine / CreateExtensionServiceWorkerMLCEngine; same
// protocol as the Web Worker (messages.js). A Port carries JSON, which every
// message of the protocol is.
//
// In the service worker, either as WebLLM's examples do:
//   let handler;
//   chrome.runtime.onConnect.addListener((port) => {
//     if (handler === undefined) handler = new ExtensionServiceWorkerMLCEngineHandler(port, runtimeOptions);
//     else handler.setPort(port);
//     port.onMessage.addListener(handler.onmessage.bind(handler));
//   });
// or `new ExtensionServiceWorkerMLCEngineHandler(runtimeOptions)` at the top
// level, which accepts the Ports named "web_llm_service_worker" itself. As in
// sw.js, a service worker cannot import() Pyodide: the extension ships a copy
// of it and passes runtimeOptions = {loadPyodide, createPyodideModule, pyodideURL},
// imported statically; for grammars (response_format, tools) likewise web-xgrammar:
// `import "./@mlc-ai/web-xgrammar/lib/index.js"` (a copy of it) and {xgrammar: globalThis.xgrammar}.

import { TransportError } from "./errors.js";
import { EXTENSION_PORT_NAME, newUuid } from "./messages.js";
import { WebWorkerMLCEngine, WebWorkerMLCEngineHandler } from "./web_worker.js";

/**
 * @typedef {import("./config.js").ChatOptions} ChatOptions
 * @typedef {import("./config.js").MLCEngineConfig} MLCEngineConfig
 * @typedef {import("./messages.js").WorkerResponse} WorkerResponse
 * @typedef {any} Port chrome.runtime.Port
 */

/** Serves one engine to every Port connected to this extension's service worker. */
export class ExtensionServiceWorkerMLCEngineHandler extends WebWorkerMLCEngineHandler {
  /**
   * @param {Port} [port] the first Port (WebLLM's form); without one, the
   *   handler listens to chrome.runtime.onConnect itself
   * @param {import("./web_worker.js").HandlerOptions & import("./runtime.js").RuntimeOptions} [options]
   */
  constructor(port, options = {}) {
    if (port && typeof port.postMessage !== "function") { // new Handler(options)
      [port, options] = [undefined, port];
    }
    super(options);
    this.skipLoadedReload = true;
    /** @type {Port|null} the latest Port, which gets messages not tied to a request */
    this.port = null;
    /** @type {WeakSet<Port>} */
    this.watchedPorts = new WeakSet();
    /** @type {WeakSet<Port>} */
    this.disconnectedPorts = new WeakSet();
    if (port) {
      this.setPort(port);
    } else {
      chrome.runtime.onConnect.addListener((/** @type {Port} */ newPort) => {
        if (newPort.name !== EXTENSION_PORT_NAME) return;
        this.setPort(newPort);
        newPort.onMessage.addListener((/** @type {any} */ message) => this.onmessage(message, newPort));
      });
    }
  }

  /** @param {Port} port a newly connected Port; it becomes the default one */
  setPort(port) {
    this.port = port;
    this.watch(port);
  }

  /** @param {Port} port */
  watch(port) {
    if (this.watchedPorts.has(port)) return;
    this.watchedPorts.add(port);
    port.onDisconnect.addListener(() => {
      this.disconnectedPorts.add(port);
      if (this.port === port) this.port = null;
      this.streams.check(); // its streams end now
    });
  }

  /**
   * A request from a Port: `port.onMessage.addListener(handler.onmessage.bind(handler))`
   * passes (message, port), so the reply goes back on the Port it came from.
   * @param {any} message
   * @param {Port} [port]
   */
  onmessage(message, port) {
    const from = port ?? this.port;
    if (from) this.watch(from);
    return super.onmessage(message, from);
  }

  /**
   * @param {WorkerResponse} message
   * @param {Port} [port]
   */
  postMessage(message, port) {
    const to = port ?? this.port;
    if (!to || this.disconnectedPorts.has(to)) return;
    to.postMessage(message);
  }

  /** @param {Port} port */
  async isTargetAlive(port) {
    return !port || !this.disconnectedPorts.has(port);
  }
}

/** A Port as the proxy's worker: postMessage plus an onmessage that the Port calls. */
class PortChannel {
  /** @param {Port} port */
  constructor(port) {
    this.port = port;
    /** @type {(message: any) => void} */
    this.onmessage = () => {};
    port.onMessage.addListener((/** @type {any} */ message) => this.onmessage(message));
  }

  /** @param {any} message */
  postMessage(message) {
    this.port.postMessage(message);
  }
}

/**
 * Options of the extension proxy: MLCEngineConfig plus WebLLM's extensionId
 * (to reach another extension, from a web page) and onDisconnect.
 * @typedef {MLCEngineConfig & {extensionId?: string, onDisconnect?: () => void}} ExtensionMLCEngineConfig
 */

/** The proxy of the engine in an extension's service worker, over a chrome.runtime Port. */
export class ExtensionServiceWorkerMLCEngine extends WebWorkerMLCEngine {
  /**
   * @param {ExtensionMLCEngineConfig} [engineConfig]
   * @param {number} [keepAliveMs] how often to send keepAlive (WebLLM's default, 10 s)
   */
  constructor(engineConfig = {}, keepAliveMs = 10_000) {
    if (typeof chrome === "undefined" || !chrome.runtime?.connect) {
      throw new TransportError("chrome.runtime.connect is not available here: use this proxy in an extension " +
        "page or popup, or in a web page listed in the extension's externally_connectable");
    }
    const { extensionId, onDisconnect } = engineConfig;
    const port = extensionId ? chrome.runtime.connect(extensionId, { name: EXTENSION_PORT_NAME })
      : chrome.runtime.connect({ name: EXTENSION_PORT_NAME });
    super(/** @type {any} */ (new PortChannel(port)), engineConfig);
    this.port = port;
    this.extensionId = extensionId;
    /** keepAlives sent since the last heartbeat came back */
    this.missedHeartbeat = 0;
    const keepAliveTimer = setInterval(() => {
      this.worker.postMessage({ kind: "keepAlive", uuid: newUuid(), content: null });
      this.missedHeartbeat += 1;
    }, keepAliveMs);
    port.onDisconnect.addListener(() => {
      clearInterval(keepAliveTimer);
      this.rejectAll(new TransportError("the extension service worker's Port disconnected"));
      onDisconnect?.();
    });
  }

  /** @param {any} message */
  onmessage(message) {
    if (message?.kind === "heartbeat") {
      this.missedHeartbeat = 0;
      return;
    }
    super.onmessage(message);
  }
}

/**
 * WebLLM's CreateExtensionServiceWorkerMLCEngine: connects to the extension's
 * service worker and loads modelId there (a model it already has with equal
 * chatOpts is not loaded again).
 * @param {string|string[]} modelId
 * @param {ExtensionMLCEngineConfig} [engineConfig]
 * @param {ChatOptions|ChatOptions[]} [chatOpts]
 * @param {number} [keepAliveMs]
 * @returns {Promise<ExtensionServiceWorkerMLCEngine>}
 */
export async function CreateExtensionServiceWorkerMLCEngine(modelId, engineConfig, chatOpts, keepAliveMs = 10_000) {
  const engine = new ExtensionServiceWorkerMLCEngine(engineConfig, keepAliveMs);
  await engine.reload(modelId, chatOpts);
  return engine;
}
