// Declarations of messages.js: the proxy <-> handler protocol (WebLLM's kind names).

export type RequestKind =
  | "reload" | "unload" | "setAppConfig" | "setLogLevel"
  | "chatCompletionNonStreaming" | "chatCompletionStreamInit"
  | "completionNonStreaming" | "completionStreamInit" | "embedding"
  | "completionStreamNextChunk" | "completionStreamReturn"
  | "interruptGenerate" | "resetChat" | "forwardTokensAndSample"
  | "getMessage" | "runtimeStatsText" | "getLoadedModelInfo" | "getMaxStorageBufferBindingSize" | "getGPUVendor"
  | "keepAlive";

export type ResponseKind = "return" | "throw" | "initProgressCallback" | "heartbeat" | "error";

/** A request, proxy -> handler. */
export interface WorkerRequest {
  kind: RequestKind;
  uuid: string;
  content: any;
}

/** A reply, handler -> proxy. */
export interface WorkerResponse {
  kind: ResponseKind;
  uuid: string;
  content: any;
}

/** Engine methods that a handler forwards as they are, without arguments. */
export declare const QUERY_KINDS: Set<string>;
/** Port name of WebLLM's extension engine. */
export declare const EXTENSION_PORT_NAME: "web_llm_service_worker";
export declare function newUuid(): string;
export declare function messageOf(eventOrMessage: unknown): any;
export declare function sameLoad(a: { modelId?: string | string[]; chatOpts?: object | object[] },
  b: { modelId?: string | string[]; chatOpts?: object | object[] }): boolean;
export declare function sameModelId(a: string | string[] | undefined, b: string | string[] | undefined): boolean;
