// Declarations of engine.js: MLCEngine (the engine in this thread) and
// MLCEngineInterface, which every proxy (web_worker.js, service_worker.js,
// extension_service_worker.js) implements too.

import type {
  AppConfig, ChatOptions, InitProgressCallback, LogLevel, MLCEngineConfig,
} from "./config.js";
import type {
  ChatCompletion, ChatCompletionChunk, ChatCompletionRequestBase, ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming, Completion, CompletionCreateParamsBase, CompletionCreateParamsNonStreaming,
  CompletionCreateParamsStreaming, CreateEmbeddingResponse, EmbeddingCreateParams,
} from "./openai_api.js";
import type { LogitProcessor } from "./logit_processor.js";

/** Where Python and web-xgrammar come from (runtime.js). */
export interface RuntimeOptions {
  /** Folder holding pyodide.mjs, pyodide.asm.wasm, python_stdlib.zip (default ../pyodide/). */
  pyodideURL?: string;
  /** The engine wheel (default: next to this module). */
  wheelURL?: string;
  /** pyodide.mjs's loadPyodide, imported statically (service workers forbid import()). */
  loadPyodide?: (...args: any[]) => Promise<any>;
  /** pyodide.asm.mjs's default export (service workers). */
  createPyodideModule?: (...args: any[]) => any;
  /** web-xgrammar's lib/index.js (default ../@mlc-ai/web-xgrammar/lib/index.js). */
  xgrammarURL?: string;
  /** web-xgrammar itself, imported statically. */
  xgrammar?: unknown;
}

/** engine.chat.completions: OpenAI's create, a stream of chunks when stream is true. */
export interface ChatCompletions {
  create(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  create(request: ChatCompletionRequestBase): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
}

/** engine.completions: OpenAI's (legacy) text completions. */
export interface Completions {
  create(request: CompletionCreateParamsStreaming): Promise<AsyncIterable<Completion>>;
  create(request: CompletionCreateParamsNonStreaming): Promise<Completion>;
  create(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion>;
}

/** engine.embeddings: OpenAI's embeddings, on an embedding model (e.g. all-MiniLM-L6-v2). */
export interface Embeddings {
  create(request: EmbeddingCreateParams): Promise<CreateEmbeddingResponse>;
}

/** Our extension: what is loaded, and how many times this engine uploaded weights. */
export interface LoadedModelInfo {
  modelId: string | string[] | null;
  chatOpts?: ChatOptions | ChatOptions[];
  weightLoads: number;
}

/** The methods of every engine and engine proxy (WebLLM's MLCEngineInterface, as far as it is implemented). */
export interface MLCEngineInterface {
  chat: { completions: ChatCompletions };
  completions: Completions;
  embeddings: Embeddings;
  /** Loads models of the app config: one id, or a list (chatOpts then one per id), all served at once;
   *  with several loaded, a request names its model in `model`. */
  reload(modelId: string | string[], chatOpts?: ChatOptions | ChatOptions[]): Promise<void>;
  unload(): Promise<void>;
  chatCompletion(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  chatCompletion(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  chatCompletion(request: ChatCompletionRequestBase): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  completion(request: CompletionCreateParamsStreaming): Promise<AsyncIterable<Completion>>;
  completion(request: CompletionCreateParamsNonStreaming): Promise<Completion>;
  completion(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion>;
  /** Stops the running generation after its current token (finish_reason "abort"). */
  interruptGenerate(): void;
  /** Forgets the conversation (its KV cache) of a model (modelId: needed when several are loaded). */
  resetChat(keepStats?: boolean, modelId?: string): Promise<void>;
  /** The text of a model's last reply. */
  getMessage(modelId?: string): Promise<string>;
  runtimeStatsText(modelId?: string): Promise<string>;
  /** WebLLM's low-level API: a forward pass over inputIds (a fresh sequence when isPrefill, else
   *  appended to the current one), then one token sampled with the model's chat config. */
  forwardTokensAndSample(inputIds: number[], isPrefill: boolean, modelId?: string): Promise<number>;
  /** Model id -> its LogitProcessor; the in-page MLCEngine only (a worker proxy throws
   *  FeatureNotSupportedError: set it on the handler, in the worker). */
  setLogitProcessorRegistry(registry: Map<string, LogitProcessor> | undefined): void;
  getGPUVendor(): Promise<string>;
  getMaxStorageBufferBindingSize(): Promise<number>;
  getLoadedModelInfo(): Promise<LoadedModelInfo>;
  setInitProgressCallback(callback: InitProgressCallback | undefined): void;
  getInitProgressCallback(): InitProgressCallback | undefined;
  setAppConfig(appConfig: AppConfig): void;
  /** Accepted for WebLLM compatibility. */
  setLogLevel(logLevel: LogLevel): void;
}

/** The engine in this thread: the Python engine under Pyodide over WebGPU. */
export declare class MLCEngine implements MLCEngineInterface {
  constructor(engineConfig?: MLCEngineConfig & RuntimeOptions);
  appConfig: AppConfig;
  /** The model(s) loaded, as the last reload named them; null before a reload finished. */
  modelId: string | string[] | null;
  chatOpts: ChatOptions | ChatOptions[] | undefined;
  chat: { completions: ChatCompletions };
  completions: Completions;
  embeddings: Embeddings;
  reload(modelId: string | string[], chatOpts?: ChatOptions | ChatOptions[]): Promise<void>;
  /** Unloads every model; a reload() in progress rejects with a DOMException named "AbortError". */
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
  /** Model id -> its LogitProcessor: that model's logits come to JS each step (slower). */
  logitProcessorRegistry: Map<string, LogitProcessor> | undefined;
  setLogitProcessorRegistry(registry: Map<string, LogitProcessor> | undefined): void;
  getGPUVendor(): Promise<string>;
  getMaxStorageBufferBindingSize(): Promise<number>;
  getLoadedModelInfo(): Promise<LoadedModelInfo>;
  setInitProgressCallback(callback: InitProgressCallback | undefined): void;
  getInitProgressCallback(): InitProgressCallback | undefined;
  setAppConfig(appConfig: AppConfig): void;
  setLogLevel(logLevel: LogLevel): void;
}

/** An engine in this thread with modelId loaded. */
export declare function CreateMLCEngine(modelId: string | string[], engineConfig?: MLCEngineConfig & RuntimeOptions,
  chatOpts?: ChatOptions | ChatOptions[]): Promise<MLCEngine>;
