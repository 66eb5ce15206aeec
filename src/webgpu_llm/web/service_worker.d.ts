// Declarations of service_worker.js: the engine in a module service worker, shared by the origin's pages.

import type { ChatOptions, MLCEngineConfig } from "./config.js";
import { WebWorkerMLCEngine, WebWorkerMLCEngineHandler, type HandlerOptions } from "./web_worker.js";

/** Serves one engine to every client; create it at the top level of the service-worker script. */
export declare class ServiceWorkerMLCEngineHandler extends WebWorkerMLCEngineHandler {
  constructor(options?: HandlerOptions);
}

/** The page-side proxy of the engine in this origin's service worker; sends keepAlive every keepAliveMs. */
export declare class ServiceWorkerMLCEngine extends WebWorkerMLCEngine {
  constructor(engineConfig?: MLCEngineConfig, keepAliveMs?: number);
  /** keepAlives sent since the last heartbeat came back. */
  missedHeartbeat: number;
  /** WebLLM's spelling of missedHeartbeat. */
  readonly missedHeatbeat: number;
}

/** Waits for this origin's service worker and loads modelId in it (a model it has with equal chatOpts is kept). */
export declare function CreateServiceWorkerMLCEngine(modelId: string | string[], engineConfig?: MLCEngineConfig,
  chatOpts?: ChatOptions | ChatOptions[], keepAliveMs?: number): Promise<ServiceWorkerMLCEngine>;
