// The engine in a module service worker, shared by every page of the origin and
// kept across page loads: a page that comes back finds its model still loaded
// (WebLLM's ServiceWorkerMLCEngineHandler / ServiceWorkerMLCEngine /
// CreateServiceWorkerMLCEngine). Same protocol as the Web Worker (messages.js);
// replies go to the client that sent the request, and pages send keepAlive
// every keepAliveMs so the browser does not stop an idle service worker.

import { TransportError } from "./errors.js";
import { newUuid } from "./messages.js";
import { inServiceWorker } from "./script_loader.js";
import { WebWorkerMLCEngine, WebWorkerMLCEngineHandler } from "./web_worker.js";

/**
 * @typedef {import("./config.js").ChatOptions} ChatOptions
 * @typedef {import("./config.js").MLCEngineConfig} MLCEngineConfig
 * @typedef {import("./messages.js").WorkerResponse} WorkerResponse
 */

/**
 * Serves one engine to every client of this service worker. Create it at the
 * top level of the service-worker script (it adds its own "message" listener,
 * which browsers expect during the script's first evaluation), or on "activate"
 * as WebLLM's recipe does (Chrome warns, and delivers). With no runtime options
 * it loads Pyodide and web-xgrammar itself (script_loader.js).
 */
export class ServiceWorkerMLCEngineHandler extends WebWorkerMLCEngineHandler {
  /** @param {import("./web_worker.js").HandlerOptions & import("./runtime.js").RuntimeOptions} [options] */
  constructor(options = {}) {
    if (!inServiceWorker()) {
      throw new TransportError("ServiceWorkerMLCEngineHandler must be created in a service worker script");
    }
    super(options);
    workerHandler = this;
    this.skipLoadedReload = true;
    self.addEventListener("message", (event) => {
      const messageEvent = /** @type {ExtendableMessageEvent} */ (event);
      // Keep the service worker alive until this request is answered.
      messageEvent.waitUntil(this.onmessage(messageEvent, messageEvent.source));
    });
  }

  /**
   * @param {WorkerResponse} message
   * @param {Client|ServiceWorker|MessagePort|null} [target] the client that sent the request
   */
  postMessage(message, target) {
    target?.postMessage(message);
  }

  /**
   * A page that closed or navigated away is no longer among the clients.
   * @param {any} target
   */
  async isTargetAlive(target) {
    if (!target || typeof target.id !== "string") return true;
    return (await /** @type {any} */ (self).clients.get(target.id)) !== undefined;
  }
}

/** @type {ServiceWorkerMLCEngineHandler|null} the handler of this service worker, once made */
let workerHandler = null;

// WebLLM's recipe makes the handler on "activate". A service worker that the browser
// stopped when idle starts again for the next message without a second "activate": that
// message then finds no handler, and a plain one is made for it (and the ones after).
// While the worker is still activating, its "activate" listener has yet to run.
if (inServiceWorker()) {
  self.addEventListener("message", (event) => {
    const messageEvent = /** @type {ExtendableMessageEvent} */ (event);
    const request = messageEvent.data;
    if (workerHandler !== null || typeof request?.kind !== "string" || typeof request?.uuid !== "string") return;
    const scope = /** @type {any} */ (self);
    if ((scope.serviceWorker ?? scope.registration.active)?.state !== "activated") return;
    const handler = new ServiceWorkerMLCEngineHandler(); // its own listener takes the messages after this one
    messageEvent.waitUntil(handler.onmessage(messageEvent, messageEvent.source));
  });
}

/**
 * The page's way to its service worker: posts to the controller (or, before
 * this page is controlled, the active worker of the registration), in order.
 */
class ServiceWorkerChannel {
  constructor() {
    if (!("serviceWorker" in navigator)) {
      throw new TransportError("this browser has no service worker API (navigator.serviceWorker); " +
        "service workers need a secure context (https or localhost)");
    }
    this.container = navigator.serviceWorker;
    /** messages waiting for the registration to become ready */
    this.queued = 0;
    /** @type {Promise<void>} */
    this.sent = Promise.resolve();
    /** @type {(message: any, error: Error) => void} */
    this.onSendError = () => {};
  }

  /** @param {(event: MessageEvent) => void} handler */
  set onmessage(handler) {
    this.container.onmessage = handler; // assigning onmessage also starts the client's message queue
  }

  /** @param {any} message */
  postMessage(message) {
    const direct = this.container.controller;
    if (direct && this.queued === 0) {
      direct.postMessage(message);
      return;
    }
    this.queued += 1;
    this.sent = this.sent.then(async () => {
      const registration = await this.container.ready;
      const worker = this.container.controller ?? registration.active;
      if (!worker) throw new TransportError("the service worker registration has no active worker");
      worker.postMessage(message);
    }).catch((error) => this.onSendError(message, error)).finally(() => { this.queued -= 1; });
  }
}

/** The page-side proxy of the engine in this origin's service worker. */
export class ServiceWorkerMLCEngine extends WebWorkerMLCEngine {
  /**
   * @param {MLCEngineConfig} [engineConfig]
   * @param {number} [keepAliveMs] how often to send keepAlive (WebLLM's default, 10 s)
   */
  constructor(engineConfig = {}, keepAliveMs = 10_000) {
    const channel = new ServiceWorkerChannel();
    super(/** @type {any} */ (channel), engineConfig);
    channel.onSendError = (message, error) => this.failRequest(message.uuid, error);
    /** keepAlives sent since the last heartbeat came back */
    this.missedHeartbeat = 0;
    this.keepAliveTimer = setInterval(() => {
      this.worker.postMessage({ kind: "keepAlive", uuid: newUuid(), content: null });
      this.missedHeartbeat += 1;
    }, keepAliveMs);
  }

  /** WebLLM's spelling of missedHeartbeat. */
  get missedHeatbeat() {
    return this.missedHeartbeat;
  }

  /** @param {MessageEvent} event */
  onmessage(event) {
    if (event?.data?.kind === "heartbeat") {
      this.missedHeartbeat = 0;
      return;
    }
    super.onmessage(event);
  }
}

/**
 * WebLLM's CreateServiceWorkerMLCEngine: waits for this origin's service worker
 * and loads modelId in it (a model it already has with equal chatOpts is not
 * loaded again).
 * @param {string|string[]} modelId
 * @param {MLCEngineConfig} [engineConfig]
 * @param {ChatOptions|ChatOptions[]} [chatOpts]
 * @param {number} [keepAliveMs]
 * @returns {Promise<ServiceWorkerMLCEngine>}
 */
export async function CreateServiceWorkerMLCEngine(modelId, engineConfig, chatOpts, keepAliveMs = 10_000) {
  if (!("serviceWorker" in navigator)) {
    throw new TransportError("this browser has no service worker API (navigator.serviceWorker)");
  }
  const registration = await navigator.serviceWorker.ready;
  if (!registration.active && !navigator.serviceWorker.controller) {
    throw new TransportError("the service worker registration has no active worker");
  }
  const engine = new ServiceWorkerMLCEngine(engineConfig, keepAliveMs);
  await engine.reload(modelId, chatOpts);
  return engine;
}
