// Declarations of worker_handler.js: the engine's side of a Web Worker.

import type { ChatOptions } from "./config.js";
import type { MLCEngineInterface, RuntimeOptions } from "./engine.js";
import type { LogitProcessor } from "./logit_processor.js";
import type { WorkerRequest, WorkerResponse } from "./messages.js";

/** Options of a handler: RuntimeOptions for the MLCEngine it makes, plus these. */
export interface HandlerOptions extends RuntimeOptions {
  /** An engine to serve instead of a new MLCEngine. */
  engine?: MLCEngineInterface;
  /** A stream not pulled for this long is closed, ending its generation (default 60000). */
  streamIdleTimeoutMs?: number;
}

/** Serves one engine to the page that created this Web Worker: `self.onmessage = (e) => handler.onmessage(e)`. */
export declare class WebWorkerMLCEngineHandler {
  constructor(options?: HandlerOptions);
  engine: MLCEngineInterface;
  /** What the engine has loaded, as the last reload named it. */
  modelId: string | string[] | undefined;
  chatOpts: ChatOptions | ChatOptions[] | undefined;
  /** Handles one request; settles when the reply went out. */
  onmessage(event: MessageEvent | WorkerRequest, target?: unknown): Promise<void>;
  /** Logit processors for the engine in this worker (WebLLM's handler.setLogitProcessorRegistry). */
  setLogitProcessorRegistry(registry: Map<string, LogitProcessor> | undefined): void;
  /** Sends a message to a reader. */
  postMessage(message: WorkerResponse, target?: unknown): void;
  /** Sends an "error" message (an error outside a request); the proxy rejects every pending call with it. */
  reportError(error: unknown, target?: unknown): void;
  /** Reports the scope's uncaught exceptions and unhandled rejections as "error" messages. */
  reportUncaught(scope: { addEventListener(type: string, listener: (event: any) => void): void }): void;
}
