// Declarations of extension_service_worker.js: the engine in a Chrome extension's
// service worker, reached over a chrome.runtime Port.

import type { ChatOptions, MLCEngineConfig } from "./config.js";
import { WebWorkerMLCEngine, WebWorkerMLCEngineHandler, type HandlerOptions } from "./web_worker.js";

/** What is used of a chrome.runtime.Port (so @types/chrome is not needed). */
export interface ChromePort {
  name: string;
  postMessage(message: any): void;
  onMessage: { addListener(callback: (message: any, port: ChromePort) => void): void };
  onDisconnect: { addListener(callback: (port: ChromePort) => void): void };
}

/** Options of the extension proxy: WebLLM's extensionId (another extension, from a web page) and onDisconnect. */
export interface ExtensionMLCEngineConfig extends MLCEngineConfig {
  extensionId?: string;
  onDisconnect?: () => void;
}

/** Serves one engine to every Port connected to this extension's service worker. */
export declare class ExtensionServiceWorkerMLCEngineHandler extends WebWorkerMLCEngineHandler {
  /** WebLLM's form: the first Port; later ones through setPort. */
  constructor(port: ChromePort, options?: HandlerOptions);
  /** Listens to chrome.runtime.onConnect itself, for Ports named "web_llm_service_worker". */
  constructor(options?: HandlerOptions);
  /** The latest Port, which gets messages not tied to a request. */
  port: ChromePort | null;
  setPort(port: ChromePort): void;
  onmessage(message: any, port?: ChromePort): Promise<void>;
}

/** The proxy of the engine in an extension's service worker. */
export declare class ExtensionServiceWorkerMLCEngine extends WebWorkerMLCEngine {
  constructor(engineConfig?: ExtensionMLCEngineConfig, keepAliveMs?: number);
  port: ChromePort;
  extensionId: string | undefined;
  /** keepAlives sent since the last heartbeat came back. */
  missedHeartbeat: number;
  onmessage(message: any): void;
}

/** Connects to the extension's service worker and loads modelId there. */
export declare function CreateExtensionServiceWorkerMLCEngine(modelId: string | string[],
  engineConfig?: ExtensionMLCEngineConfig, chatOpts?: ChatOptions | ChatOptions[],
  keepAliveMs?: number): Promise<ExtensionServiceWorkerMLCEngine>;
