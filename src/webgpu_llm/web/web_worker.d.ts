// Declarations of web_worker.js: the engine in a Web Worker (handler) and its page-side proxy.

import type { AppConfig, ChatOptions, InitProgressCallback, LogLevel, MLCEngineConfig } from "./config.js";
import type {
  ChatCompletions, Completions, Embeddings, LoadedModelInfo, MLCEngineInterface, RuntimeOptions,
} from "./engine.js";
import type { WorkerRequest, WorkerResponse } from "./messages.js";
import type {
  ChatCompletion, ChatCompletionChunk, ChatCompletionRequestBase, ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming, Completion, CompletionCreateParamsBase, CompletionCreateParamsNonStreaming,
  CompletionCreateParamsStreaming, CreateEmbeddingResponse, EmbeddingCreateParams,
} from "./openai_api.js";

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
  /** Sends a message to a reader. */
  postMessage(message: WorkerResponse, target?: unknown): void;
  /** Sends an "error" message (an error outside a request); the proxy rejects every pending call with it. */
  reportError(error: unknown, target?: unknown): void;
  /** Reports the scope's uncaught exceptions and unhandled rejections as "error" messages. */
  reportUncaught(scope: { addEventListener(type: string, listener: (event: any) => void): void }): void;
}

/** Anything with postMessage and a settable onmessage: a Worker, or an adapter. */
export interface ChatWorker {
  postMessage(message: any): void;
  onmessage: any;
}

/** The page-side proxy of an engine that runs in a worker. */
export declare class WebWorkerMLCEngine implements MLCEngineInterface {
  constructor(worker: ChatWorker, engineConfig?: MLCEngineConfig);
  worker: ChatWorker;
  /** What this proxy asked the handler to load. */
  modelId: string | string[] | undefined;
  chatOpts: ChatOptions | ChatOptions[] | undefined;
  chat: { completions: ChatCompletions };
  completions: Completions;
  embeddings: Embeddings;
  /** embeddings.create through the handler (message kind "embedding"). */
  embedding(request: EmbeddingCreateParams): Promise<CreateEmbeddingResponse>;
  reload(modelId: string | string[], chatOpts?: ChatOptions | ChatOptions[]): Promise<void>;
  unload(): Promise<void>;
  chatCompletion(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  chatCompletion(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  chatCompletion(request: ChatCompletionRequestBase): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  completion(request: CompletionCreateParamsStreaming): Promise<AsyncIterable<Completion>>;
  completion(request: CompletionCreateParamsNonStreaming): Promise<Completion>;
  completion(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion>;
  interruptGenerate(): void;
  resetChat(keepStats?: boolean, modelId?: string): Promise<void>;
  getMessage(modelId?: string): Promise<string>;
  runtimeStatsText(modelId?: string): Promise<string>;
  getGPUVendor(): Promise<string>;
  getMaxStorageBufferBindingSize(): Promise<number>;
  getLoadedModelInfo(): Promise<LoadedModelInfo>;
  setInitProgressCallback(callback: InitProgressCallback | undefined): void;
  getInitProgressCallback(): InitProgressCallback | undefined;
  setAppConfig(appConfig: AppConfig): void;
  setLogLevel(logLevel: LogLevel): void;
  /** A reply from the handler. */
  onmessage(event: MessageEvent | WorkerResponse): void;
}

/** A proxy of the engine in `worker`, with modelId loaded. */
export declare function CreateWebWorkerMLCEngine(worker: ChatWorker, modelId: string | string[],
  engineConfig?: MLCEngineConfig, chatOpts?: ChatOptions | ChatOptions[]): Promise<WebWorkerMLCEngine>;
