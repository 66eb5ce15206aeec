// Declarations of web_worker.js: the page-side proxy of an engine in a Web Worker (the handler: worker_handler.d.ts).

import type { AppConfig, ChatOptions, InitProgressCallback, LogLevel, MLCEngineConfig } from "./config.js";
import type {
  ChatCompletions, Completions, Embeddings, LoadedModelInfo, MLCEngineInterface,
} from "./engine.js";
import type { LogitProcessor } from "./logit_processor.js";
import type { WorkerResponse } from "./messages.js";
import type {
  ChatCompletion, ChatCompletionChunk, ChatCompletionRequestBase, ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming, Completion, CompletionCreateParamsBase, CompletionCreateParamsNonStreaming,
  CompletionCreateParamsStreaming, CreateEmbeddingResponse, EmbeddingCreateParams,
} from "./openai_api.js";

export { WebWorkerMLCEngineHandler, type HandlerOptions } from "./worker_handler.js";

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
  forwardTokensAndSample(inputIds: number[], isPrefill: boolean, modelId?: string): Promise<number>;
  /** Throws FeatureNotSupportedError: register processors in the worker (handler.setLogitProcessorRegistry). */
  setLogitProcessorRegistry(registry: Map<string, LogitProcessor> | undefined): never;
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
